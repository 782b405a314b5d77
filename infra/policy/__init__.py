"""The guardrails of docs/DESIGN.md as a Pulumi CrossGuard policy pack.

The `*_rules` modules are pure functions (standard library only), one module per concern,
that the tests call on the resources the program registers; `__main__` wraps them in a PolicyPack and must
never be imported by tests (it starts the analyzer server).
"""
