"""What each audit action means, for people reading the audit log (the code stays beside it).
Every action recorded anywhere must have a label here (tests/core/test_audit_log.py checks)."""

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.utils.functional import Promise
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

ACTION_LABELS = {
    "assignment.add": _("Task added to the minutes"),
    "assignment.delete": _("Task removed from the minutes"),
    "assignment.update": _("Task in the minutes changed"),
    "attachment.add": _("File attached to a meeting"),
    "attachment.remove": _("File removed from a meeting"),
    "attendance.mark": _("Attendance marked"),
    "demo.province": _("Demo province generated"),
    "document.add": _("Document added to a meeting"),
    "document.publish": _("Document published"),
    "draft.comment": _("Comment on a draft made"),
    "draft.comment.decide": _("Comment on a draft decided"),
    "grant.create": _("Role given"),
    "grant.revoke": _("Role revoked"),
    "inspection.conclude": _("Inspection concluded"),
    "inspection.fix_add": _("Shortcoming to fix added"),
    "inspection.fix_done": _("Shortcoming fixed"),
    "inspection.fix_remove": _("Shortcoming to fix removed"),
    "inspection.plan": _("Inspection planned"),
    "inspection.update": _("Inspection changed"),
    "leave.decide": _("Leave request decided"),
    "leave.request": _("Leave requested"),
    "meeting.announce": _("Meeting announced"),
    "meeting.cancel": _("Meeting cancelled"),
    "meeting.finalise": _("Minutes finalised"),
    "meeting.plan": _("Meeting planned"),
    "meeting.postpone": _("Meeting postponed"),
    "meeting.record": _("Minutes recorded"),
    "meeting.start": _("Recording started"),
    "meeting.update": _("Meeting changed"),
    "member.attach": _("Member attached to a cell"),
    "member.create": _("Member added"),
    "member.depart": _("Member left the party"),
    "member.exempt": _("Member exempted from meetings"),
    "member.transfer": _("Member transferred"),
    "member.update": _("Member changed"),
    "minutes.docx": _("Minutes printed (Word)"),
    "minutes.pdf": _("Minutes printed (PDF)"),
    "org.import": _("Members and units imported"),
    "proposal.forward": _("Proposal forwarded"),
    "proposal.send": _("Proposal sent up"),
    "rulebook.issue": _("Rulebook issued"),
    "score.adjust": _("Score adjusted"),
    "score.assign": _("Scorecard assigned"),
    "score.compute": _("Score computed"),
    "score.judge": _("Criterion judged"),
    "scorecard.copy": _("Scorecard copied"),
    "scorecard.save": _("Scorecard saved"),
    "section.save": _("Minutes section saved"),
    "speech.add": _("Speech recorded"),
    "speech.delete": _("Speech deleted"),
    "speech.update": _("Speech changed"),
    "task.create": _("Task created"),
    "task.report": _("Task progress reported"),
    "task.review": _("Task reviewed"),
    "task.review.clear": _("Decision on an earlier task withdrawn in the minutes"),
    "task.review.save": _("Decision on an earlier task written in the minutes"),
    "template.copy": _("Minutes template copied"),
    "template.retire": _("Minutes template retired"),
    "template.section.add": _("Section added to a minutes template"),
    "template.section.delete": _("Section removed from a minutes template"),
    "template.section.move": _("Section of a minutes template moved"),
    "template.section.update": _("Section of a minutes template changed"),
    "template.update": _("Minutes template changed"),
    "token.create": _("API key created"),
    "token.revoke": _("API key revoked"),
    "two_factor.disable": _("Two-factor login turned off"),
    "two_factor.enable": _("Two-factor login turned on"),
    "two_factor.reset": _("Two-factor login reset"),
    "unit.create": _("Unit created"),
    "unit.dissolve": _("Unit dissolved"),
    "unit.merge": _("Units merged"),
    "unit.move": _("Unit moved"),
    "unit.update": _("Unit changed"),
    "user.create": _("Account created"),
    "user.set_password": _("Password set by an officer"),
    "vote.record": _("Vote recorded"),
    "word_template.deactivate": _("Word template withdrawn"),
    "word_template.upload": _("Word template uploaded"),
}


FAMILY_LABELS = {
    "meeting": _("Meetings"),
    "attendance": _("Attendance"),
    "speech": _("Speeches"),
    "section": _("Minutes sections"),
    "vote": _("Votes"),
    "assignment": _("Tasks in the minutes"),
    "attachment": _("Meeting files"),
    "minutes": _("Printed minutes"),
    "leave": _("Leave requests"),
    "draft": _("Comments on drafts"),
    "document": _("Documents"),
    "task": _("Tasks"),
    "proposal": _("Proposals"),
    "inspection": _("Inspections"),
    "score": _("Scores"),
    "scorecard": _("Scorecards"),
    "rulebook": _("Rulebooks"),
    "template": _("Minutes templates"),
    "word_template": _("Word templates"),
    "unit": _("Units"),
    "member": _("Members"),
    "org": _("Imports"),
    "user": _("Accounts"),
    "grant": _("Roles"),
    "token": _("API keys"),
    "two_factor": _("Two-factor login"),
    "demo": _("Demo data"),
}


# What changed, for the keys of `AuditEntry.changes` that are not a field of the audited model
# with a translated name (summaries written by the services, and fields named plainly).
CHANGE_LABELS = {
    "assignees": _("Assigned to"),
    "attached_to": _("Attached to"),
    "cell": _("Cell"),
    "copied_from": _("Copied from"),
    "criterion": _("Criterion"),
    "deadline": _("Deadline"),
    "decision": _("Decision"),
    "description": _("What is to be done"),
    "done": _("Done"),
    "exemption": _("Exemption from meetings"),
    "fix": _("Shortcoming to fix"),
    "from": _("Copied from"),
    "hash": _("Content hash"),
    "meeting": _("Meeting"),
    "job": _("Import job"),
    "member": _("Member"),
    "members": _("Members"),
    "new_deadline": _("New deadline"),
    "note": _("Note"),
    "number": _("Number"),
    "paragraph": _("Paragraph"),
    "part": _("Part"),
    "points": _("Points"),
    "presence": _("Presence"),
    "reason": _("Reason"),
    "report": _("Report"),
    "roster": _("Roster"),
    "role": _("Role"),
    "scorecard": _("Scorecard"),
    "scorer": _("Scored by"),
    "section": _("Minutes section"),
    "sections": _("Sections"),
    "subject": _("Subject"),
    "task": _("Task"),
    "template": _("Minutes template"),
    "meetings.templatesection.position": _("Place in the template"),
    "to": _("Sent to"),
    "unit": _("Unit"),
    "user": _("Account"),
    "votes": _("Votes (for / against / not voting)"),
    "warnings": _("Warnings accepted"),
}


def _field(object_type: str, key: str):
    try:
        return apps.get_model(object_type)._meta.get_field(key)
    except (LookupError, ValueError, FieldDoesNotExist):
        return None


def change_label(object_type: str, key: str) -> str:
    """The name of a changed field in the reader's language: a label above (for this model,
    else for any), else the model field's own (translated) name, else the key itself."""
    for name in (f"{object_type}.{key}", key):
        if name in CHANGE_LABELS:
            return str(CHANGE_LABELS[name])
    name = getattr(_field(object_type, key), "verbose_name", None)
    return capfirst(str(name)) if isinstance(name, Promise) else key


# Summaries whose values are the choices of a field of another model.
CHOICES_OF = {"decision": "followup.taskreview"}


def change_value(object_type: str, key: str, value):
    """A stored value as the reader knows it: the label of a field's choice ("confidential" →
    "Mật"), else the value."""
    field = _field(object_type, key) or (_field(CHOICES_OF[key], key) if key in CHOICES_OF else None)
    choices = getattr(field, "flatchoices", None)
    if choices and isinstance(value, str | int):
        return dict(choices).get(value, value)
    return value


def action_label(action: str) -> str:
    return str(ACTION_LABELS.get(action, action))


def action_choices() -> list:
    """For the filter: per family, "all of it" (the prefix) and each action."""
    choices: list = [("", _("All actions"))]
    for family, family_label in FAMILY_LABELS.items():
        actions = sorted((code, label) for code, label in ACTION_LABELS.items()
                         if code.split(".")[0] == family)  # fmt: skip
        choices.append((family_label, [(f"{family}.", _("%(group)s: all") % {"group": family_label}),
                                       *actions]))  # fmt: skip
    return choices
