"""What the report needs to know of the flow: the nodes that put a call through to a person, and
the main paths callers take, for the drop-off along each."""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from ..engine.state import LANGUAGE
from ..flow.flow import Flow
from .figures import Report

BOOKED = "(booked)"  # the end of the booking path: an appointment made


def transfer_nodes(flow: Flow) -> list[str]:
    return [name for name, node in flow.nodes.items() if node.type == "transfer"]


@dataclass(frozen=True)
class PathStep:
    node: str
    visits: int  # arrivals at the node (for the booking path's end: appointments booked)
    ended: int  # conversations whose last step was here: where they gave up or were done

    @property
    def ended_share(self) -> float:
        return self.ended / self.visits if self.visits else 0.0


@dataclass(frozen=True)
class Path:
    goal: str  # the node the path leads to
    steps: list[PathStep]


def main_paths(flow: Flow) -> list[list[str]]:
    """The shortest way through the menus from a call's start (the language choice, then the
    main menu) to each goal: booking, a person, the warning signs."""
    line = flow.line
    paths = []
    for goal in dict.fromkeys((line.booking, line.person, line.emergency)):
        route = _route(flow, line.start, goal)
        if route:
            paths.append([LANGUAGE, *route] + ([BOOKED] if goal == line.booking else []))
    return paths


def drop_off(flow: Flow, report: Report) -> list[Path]:
    visits = {f.node: f.total for f in report.visits}
    ended = {f.node: f.total for f in report.ended}
    found = []
    for route in main_paths(flow):
        steps = [PathStep(node, report.bookings if node == BOOKED else visits.get(node, 0),
                          0 if node == BOOKED else ended.get(node, 0)) for node in route]
        found.append(Path(route[-2] if route[-1] == BOOKED else route[-1], steps))
    return found


def _route(flow: Flow, start: str, goal: str) -> list[str]:
    came_from, queue = {start: None}, deque([start])
    while queue:
        node = queue.popleft()
        if node == goal:
            route = []
            while node is not None:
                route.append(node)
                node = came_from[node]
            return route[::-1]
        for option in flow.nodes[node].options if node in flow.nodes else ():
            if option.goto not in came_from:
                came_from[option.goto] = node
                queue.append(option.goto)
    return []
