from django.db import migrations


def install_templates(apps, schema_editor):
    from chibo.meetings import defaults

    defaults.install(apps.get_model("meetings", "MinutesTemplate"),
                     apps.get_model("meetings", "TemplateSection"))  # fmt: skip


class Migration(migrations.Migration):
    dependencies = [("meetings", "0001_initial")]
    operations = [migrations.RunPython(install_templates, migrations.RunPython.noop)]
