"""The shared sentences the line needs besides node content, and the {fields} each may use.

Staff write the sentences in flows/; the names and fields are fixed here because the code
fills them in.
"""

PHRASES: dict[str, frozenset[str]] = {
    name: frozenset(fields)
    for name, fields in {
        # Voice
        "call_emergency": (),  # the very first words of every call
        "call_welcome": ("name",),
        "choose_language": ("key", "word"),
        "option": ("label", "key", "word"),
        "footer": (),  # repeat / back / person, after every menu but the main one
        "footer_main": (),  # repeat / person, after the main menu
        "no_input": (),
        "no_match": (),
        "more_help": (),
        "connect_person": (),
        "transfer_unavailable": ("phone",),
        "transfer_failed": ("phone",),
        "voice_error": (),
        # SMS
        "sms_welcome": ("name",),
        "sms_menu_hint": (),
        "sms_page_footer": (),
        "sms_not_understood": (),
        "sms_help": ("name", "phone"),
        "sms_stopped": ("name",),
        "sms_started": (),
        "sms_error": (),
    }.items()
}
