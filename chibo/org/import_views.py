# Placeholder: the import helper replaces this module.
from django.http import HttpResponse


def import_upload(request):
    return HttpResponse("import")
