"""What each audit action means, for people reading the audit log (the code stays beside it).
Every action recorded anywhere must have a label here (tests/core/test_audit_log.py checks)."""

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
    "draft.comment": _("Comment on a draft decided"),
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
    "template.copy": _("Minutes template copied"),
    "template.retire": _("Minutes template retired"),
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
