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
        "text_me_offer": (),  # on pages: "To get this as a text message, press 8"
        "text_sent": (),
        "text_not_sent": (),
        # Voice: booking, cancelling, call-backs
        "book_slot": ("time", "key", "word"),
        "book_more": ("key",),
        "book_none": (),
        "book_confirm": ("time",),
        "book_ask_name": (),
        "book_readback": ("caller", "time"),
        "book_done": ("time",),
        "book_taken": (),
        "book_no_more": (),
        "book_unavailable": ("phone",),
        "cancel_confirm": ("time",),
        "cancel_done": ("time",),
        "cancel_kept": ("time",),
        "cancel_none": (),
        "office_closed": ("hours",),
        "callback_offer": (),
        "callback_ask_name": (),
        "callback_confirm": ("last4",),
        "callback_enter_number": (),
        "callback_bad_number": (),
        "callback_done": ("last4",),
        # SMS
        "sms_welcome": ("name",),
        "sms_menu_hint": (),
        "sms_page_footer": (),
        "sms_not_understood": (),
        "sms_help": ("name", "phone"),
        "sms_stopped": ("name",),
        "sms_started": (),
        "sms_error": (),
        "sms_slow_down": (),  # once, to a number texting too fast; then quiet for a while
        # SMS: booking and cancelling
        "sms_book_hint": ("key",),
        "sms_book_more": (),
        "sms_book_none": ("phone",),
        "sms_book_ask_name": ("time",),
        "sms_book_confirm": ("time", "caller"),
        "sms_book_done": ("time", "caller"),
        "sms_book_taken": (),
        "sms_book_no_more": (),
        "sms_book_unavailable": ("phone",),
        "sms_cancel_confirm": ("time",),
        "sms_cancel_done": ("time",),
        "sms_cancel_kept": ("time",),
        "sms_cancel_none": (),
        "sms_book_confirmation": ("time", "caller", "phone"),  # texted after a booking by phone
    }.items()
}
