"""The booking, cancelling and call-back dialogs through the engine, with an in-memory desk."""
import pytest

from ivr.booking import dialog
from ivr.engine.step import Input, State, step

from booking_fakes import FakeDesk


def walk(flow, desk, inputs, state=None, kind="speech"):
    state = state or State("main", "en")
    result = None
    for value in inputs:
        inp = value if isinstance(value, Input) else Input(
            "key" if value.isdigit() and kind != "text" else kind, value)
        result = step(flow, state, inp, desk=desk, dialogs=dialog.DIALOGS)
        state = result.state
    return result


def test_the_booking_option_lists_the_next_three_open_times(flow):
    result = walk(flow, FakeDesk(), ["5"])
    assert result.state.stage == dialog.CHOOSE and result.state.offered == (1, 2, 3)
    assert [s.id for s in result.view.offered] == [1, 2, 3] and result.view.more


@pytest.mark.parametrize("said, slot", [
    ("2", 2), ("the second one", 2), ("first", 1), ("nine thirty", 2), ("ten o'clock", 3), ("9:30", 2),
])
def test_a_time_is_picked_by_key_position_or_clock_time(flow, said, slot):
    result = walk(flow, FakeDesk(), ["5", said])
    assert result.state.stage == dialog.CONFIRM and result.state.slot == slot


def test_the_weekday_alone_is_ambiguous_when_all_times_share_it(flow):
    result = walk(flow, FakeDesk(), ["5", "the wednesday one"])
    assert result.event == "no_match" and result.state.stage == dialog.CHOOSE


def test_more_times_moves_on_and_wraps_with_a_notice(flow):
    desk = FakeDesk()
    result = walk(flow, desk, ["5", "more times"])
    assert result.state.page == 1 and result.state.offered == (4, 5, 6)
    result = walk(flow, desk, ["4", "4"], state=result.state)
    assert result.state.page == 0 and "book_no_more" in result.notices


def test_a_full_booking_by_voice(flow):
    desk = FakeDesk()
    result = walk(flow, desk, ["5", "2", "yes", "Jane Q. Public", "yes"])
    assert result.event == "booked" and result.state == State(flow.line.start, "en")
    assert result.notices == ("book_done",) and desk.booked[2].name == "Jane Q. Public"


def test_a_full_booking_by_text_asks_the_name_then_yes(flow):
    desk = FakeDesk()
    result = walk(flow, desk, ["BOOK", "1", "Ana Lopez", "YES"], kind="text")
    assert result.event == "booked" and desk.booked[1].name == "Ana Lopez"


def test_the_name_can_be_said_again(flow):
    result = walk(flow, FakeDesk(), ["5", "1", "yes", "Jim", "2"])
    assert result.state.stage == dialog.NAME and result.state.name == ""


def test_a_slot_taken_while_choosing_gives_new_choices(flow):
    desk = FakeDesk()
    result = walk(flow, desk, ["5", "1", "yes", "Jane"])
    desk.booked[1] = "someone else"
    result = walk(flow, desk, ["yes"], state=result.state)
    assert result.event == "taken" and "book_taken" in result.notices
    assert result.state.stage == dialog.CHOOSE and 1 not in result.state.offered


def test_keys_mean_the_times_the_caller_heard_even_if_the_list_changed(flow):
    desk = FakeDesk()
    listed = walk(flow, desk, ["5"]).state
    desk.booked[1] = "someone else"  # the list would now start at slot 2
    assert walk(flow, desk, ["1"], state=listed).event == "taken"
    assert walk(flow, desk, ["2"], state=listed).state.slot == 2


def test_no_open_times_says_so_and_offers_a_person(flow):
    result = walk(flow, FakeDesk(slots=[]), ["5"])
    assert result.view.offered == () and result.state.stage == dialog.CHOOSE
    assert walk(flow, FakeDesk(slots=[]), ["5", "0"]).state.node == flow.line.person


def test_booking_down_says_unavailable_and_offers_a_person(flow):
    result = walk(flow, FakeDesk(down=True), ["5"])
    assert "book_unavailable" in result.notices and not result.state.stage


def test_commands_and_red_flags_work_inside_the_dialog(flow):
    desk = FakeDesk()
    listed = walk(flow, desk, ["5"]).state
    assert walk(flow, desk, ["*"], state=listed).state.stage == dialog.CHOOSE
    assert walk(flow, desk, ["main menu"], state=listed).state == State("main", "en")
    named = walk(flow, desk, ["1", "yes"], state=listed).state
    assert walk(flow, desk, ["I can't control my bladder"], state=named).state.node == flow.line.emergency
    assert walk(flow, desk, ["talk to a person"], state=named).state.node == flow.line.person


def test_cancelling_the_next_booking(flow):
    desk = FakeDesk()
    walk(flow, desk, ["5", "1", "yes", "Jane", "yes"])
    asked = walk(flow, desk, ["cancel my appointment"])
    assert asked.state.stage == dialog.CANCEL and asked.view.booking.slot.id == 1
    done = walk(flow, desk, ["yes"], state=asked.state)
    assert done.event == "cancelled" and not desk.booked


def test_keeping_the_booking(flow):
    desk = FakeDesk()
    walk(flow, desk, ["5", "1", "yes", "Jane", "yes"])
    kept = walk(flow, desk, ["CANCEL APPT", "NO"], kind="text")
    assert kept.event == "kept" and desk.booked


def test_cancel_with_nothing_booked(flow):
    assert walk(flow, FakeDesk(), ["CANCEL APPT"], kind="text").notices == ("cancel_none",)


def test_a_person_inside_office_hours_is_a_transfer(flow):
    result = walk(flow, FakeDesk(open_now=True), ["0"])
    assert result.state == State(flow.line.person, "en") and not result.state.stage


def test_outside_office_hours_a_caller_leaves_a_callback(flow):
    desk = FakeDesk(open_now=False)
    offer = walk(flow, desk, ["0"])
    assert offer.state.stage == dialog.CB_OFFER and "office_closed" in offer.notices
    done = walk(flow, desk, ["call me back", "Jane Public", "yes"], state=offer.state)
    assert done.event == "callback" and desk.callbacks == [("Jane Public", None)]


@pytest.mark.parametrize("number, stored", [
    ("5025550188", "+15025550188"), ("15025550188", "+15025550188"),
])
def test_a_callback_to_another_number_typed_on_the_keypad(flow, number, stored):
    desk = FakeDesk(open_now=False)
    asked = walk(flow, desk, ["0", "1", "Jane", "2"]).state
    assert asked.stage == dialog.CB_DIGITS
    done = walk(flow, desk, [Input("key", number)], state=asked)
    assert desk.callbacks == [("Jane", stored)] and done.view.last4 == "0 1 8 8"


def test_a_callback_number_can_be_said(flow):
    desk = FakeDesk(open_now=False)
    asked = walk(flow, desk, ["0", "1", "Jane", "2"]).state
    walk(flow, desk, ["five oh two five five five oh one eight eight"], state=asked)
    assert desk.callbacks == [("Jane", "+15025550188")]


def test_a_short_callback_number_is_asked_again(flow):
    desk = FakeDesk(open_now=False)
    asked = walk(flow, desk, ["0", "1", "Jane", "2"]).state
    again = walk(flow, desk, [Input("key", "12345")], state=asked)
    assert again.notices == ("callback_bad_number",) and again.state.stage == dialog.CB_DIGITS
    assert not desk.callbacks


def test_text_me_sends_the_page(flow):
    desk = FakeDesk()
    result = walk(flow, desk, ["3", "1", "8"])
    assert desk.sent == [("physical-therapy", "en")] and result.notices == ("text_sent",)
    assert result.state.node == "physical-therapy"


def test_spanish_booking(flow):
    desk = FakeDesk()
    result = walk(flow, desk, ["cita", "segundo", "sí", "Ana López", "sí"], state=State("main", "es"))
    assert result.event == "booked" and desk.booked[2].name == "Ana López"


# ---- cancelling takes more than a caller ID (the desk says how far it is trusted) -------------

def booked_desk(trust: str) -> FakeDesk:
    desk = FakeDesk(caller_trust=trust)
    desk.book(1, "Jane Doe")
    return desk


def test_a_verified_caller_says_the_name_then_hears_the_time(flow):
    desk = booked_desk(dialog.VERIFIED)
    asked = walk(flow, desk, ["cancel my appointment"])
    assert asked.state.stage == dialog.CANCEL_NAME and asked.view.booking is None
    heard = walk(flow, desk, ["jane doe"], state=asked.state)
    assert heard.event == "cancel_verified" and heard.state.stage == dialog.CANCEL and heard.view.booking.id == 101
    assert walk(flow, desk, ["yes"], state=heard.state).event == "cancelled" and not desk.booked


def test_a_verified_caller_has_two_tries_at_the_name(flow):
    desk = booked_desk(dialog.VERIFIED)
    asked = walk(flow, desk, ["cancel my appointment"])
    again = walk(flow, desk, ["john smith"], state=asked.state)
    assert again.notices == ("cancel_name_again",) and again.state.stage == dialog.CANCEL_NAME
    done = walk(flow, desk, ["john smith"], state=again.state)
    assert done.notices == ("cancel_not_found",) and done.state.node == flow.line.start and desk.booked


def test_an_unverified_caller_gets_the_same_answer_and_only_a_match_texts_the_owner(flow):
    desk = booked_desk(dialog.UNVERIFIED)
    asked = walk(flow, desk, ["cancel my appointment"])
    wrong = walk(flow, desk, ["john smith"], state=asked.state)
    right = walk(flow, desk, ["jane doe"], state=asked.state)
    assert wrong.notices == right.notices == ("cancel_check_sent",) and wrong.view == right.view
    assert [b.id for b in desk.checks] == [101] and desk.booked  # texted once; still booked


def test_a_failed_verification_may_neither_book_nor_cancel(flow):
    desk = booked_desk(dialog.FAILED)
    assert walk(flow, desk, ["cancel my appointment"]).notices == ("call_not_verified",)
    assert walk(flow, desk, ["5"]).notices == ("call_not_verified",)


def test_a_number_at_its_booking_limit_is_told_before_choosing_a_time(flow):
    desk = booked_desk(dialog.OWNER)
    desk.limit = 1
    result = walk(flow, desk, ["5"])
    assert result.notices == ("book_limit",) and result.state.node == flow.line.start and not result.view.offered
