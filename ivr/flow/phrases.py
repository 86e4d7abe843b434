"""The shared sentences the line needs besides node content, and the {fields} each may use.

Staff write the sentences in flows/; the names and fields are fixed here because the code
fills them in.
"""

PHRASES: dict[str, frozenset[str]] = {
    name: frozenset(fields)
    for name, fields in {
        # Voice
        "call_emergency": (),  # the very first words of every call
        "choose_language": ("key", "word"),
        "option": ("label", "key", "word"),
        "footer": (),  # repeat / back / person, after every menu but the main one
        "footer_main": (),  # repeat / person, after the main menu
        "no_input": (),
        "no_match": (),
        "more_help": (),
        "confirm_choice": ("choice",),  # a spoken choice heard unsurely: "Did you mean {choice}?"
        "connect_person": (),
        "transfer_unavailable": ("phone",),
        "transfer_failed": ("phone",),
        "voice_error": (),
        "text_me_offer": (),  # on pages: "To get this as a text message, press 8"
        "text_sent": (),
        "text_not_sent": (),
        "text_limit": (),  # the texts a call or a number may ask for are used up
        # Voice: booking, cancelling, call-backs
        "book_slot": ("time", "key", "word"),
        "book_more": ("key",),
        "book_none": (),
        "book_confirm": ("time",),
        "book_ask_name": (),
        "book_readback": ("caller", "time"),
        "book_done": ("time",),
        "book_done_no_text": ("time",),  # booked, and the number gets no texts (opted out, another country)
        "book_limit": (),  # the number already has as many upcoming appointments as allowed
        "call_not_verified": (),  # the caller ID failed verification: no booking or cancelling by phone
        "book_taken": (),
        "book_no_more": (),
        "book_unavailable": ("phone",),
        "cancel_confirm": ("time",),
        "cancel_done": ("time",),
        "cancel_kept": ("time",),
        "cancel_none": (),
        "cancel_ask_name": (),  # a caller proves the booking is theirs before hearing or cancelling it
        "cancel_name_again": (),
        "cancel_not_found": (),
        "cancel_check_sent": (),  # caller ID not verified: the booking's number was texted to decide
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
        "sms_book_limit": ("phone",),
        "sms_cancel_notice": ("time", "phone"),  # texted to the booking's number when it is cancelled
        "sms_cancel_check": ("time",),  # texted to the booking's number: reply YES to cancel
        # Reminders and the waitlist (ivr/reminders/). The reminder and the offer are texted on the
        # line's own: at most 160 GSM-7 characters with the clinic's name ({name}), how to reach it
        # ({phone}) and how to opt out (STOP); never the patient's name, nor what the visit is for.
        "sms_reminder": ("name", "time", "phone"),
        "sms_waitlist_offer": ("name", "time", "minutes", "phone"),
        "sms_reminder_help": ("time",),  # a reply to a reminder that fits nothing: what it takes
        "sms_reminder_confirmed": ("time",),
        "sms_move_hint": ("key",),  # after the open times a booking can move to
        "sms_move_none": ("phone",),  # no open time to move to
        "sms_move_done": ("time",),
        "sms_offer_help": ("time",),  # a reply to an offer that fits nothing
        "sms_offer_declined": (),
        "sms_book_wait": (),  # after the open times (or none): how to join the waitlist
        "sms_wait_days_unclear": (),
        "sms_wait_ask_name": ("days",),
        "sms_wait_joined": ("caller", "days"),
        "sms_wait_no_texts": ("phone",),  # offers go by text, and this number gets none from the line
        # Voice: the waitlist, where a caller finds no time that suits
        "book_wait": ("key",),
        "wait_ask_name": (),
        "wait_joined": ("caller",),
        "wait_no_texts": (),
    }.items()
}
