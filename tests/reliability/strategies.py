"""Hypothesis strategies and inputs shared by the reliability tests."""

from __future__ import annotations

import string

from hypothesis import strategies as st

from tasks.validation import MAX_EMAIL_LENGTH, MAX_LOCAL_PART_LENGTH

ATEXT = string.ascii_letters + string.digits + "!#$%&'*+/=?^_`{|}~-"
LABEL_INNER = string.ascii_letters + string.digits + "-"

atoms = st.text(ATEXT, min_size=1, max_size=12)
local_parts = st.lists(atoms, min_size=1, max_size=4).map(".".join).filter(
    lambda local: len(local) <= MAX_LOCAL_PART_LENGTH)
ALNUM = string.ascii_letters + string.digits

labels = st.one_of(
    st.sampled_from(ALNUM),
    st.builds(lambda first, middle, last: first + middle + last, st.sampled_from(ALNUM),
              st.text(LABEL_INNER, max_size=10), st.sampled_from(ALNUM)),
)
top_level_labels = st.builds(lambda first, rest: first + rest,
                             st.sampled_from(string.ascii_letters),
                             st.text(string.ascii_letters + string.digits, max_size=6))
domains = st.builds(lambda inner, top: ".".join([*inner, top]),
                    st.lists(labels, min_size=1, max_size=3), top_level_labels)
#: Addresses built from the grammar the validator documents: all must be accepted.
valid_addresses = st.builds(lambda local, domain: f"{local}@{domain}", local_parts,
                            domains).filter(lambda address: len(address) <= MAX_EMAIL_LENGTH)
#: Whitespace and control characters an operator could paste along with an address.
unwanted_characters = st.sampled_from(
    [" ", "\t", "\n", "\r", "\x00", "\x0b", "\x1b", "\x7f", "\u00a0", "\u2028", "\u200b",
     "\u3000", "\ufeff"])

#: A password the superuser policy accepts, and the cheapest iteration count it allows.
SUPERUSER_DEFAULTS = {"DJANGO_SUPERUSER_PASSWORD": "Ok-for-tests-7f3b9c2e1d",
                      "ADMIN_TASKS_PBKDF2_ITERATIONS": "600000"}
