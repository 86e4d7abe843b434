"""The conversation engine: pure functions of (flow, state, input).

step.py holds the step itself; matching.py and safety.py what it hears; index.py the
matchers built once per flow.
"""
