"""The memo tables keep a value from the second time its key is computed, and stay bounded."""

from __future__ import annotations

from cors_addon.engine.memo import Memo


def test_a_value_is_kept_from_the_second_computation_on() -> None:
    memo = Memo(limit=8)
    assert memo.put(("a", 1), "first") == "first"
    assert memo.get(("a", 1)) is None and len(memo) == 0  # only the key's hash was noted
    memo.put(("a", 1), "second")
    assert memo.get(("a", 1)) == "second" and len(memo) == 1


def test_keys_that_never_come_back_cost_no_entry() -> None:
    memo = Memo(limit=8)
    for i in range(1000):
        memo.put(("request-id", i), i)
    assert len(memo) == 0
    assert len(memo.sighted) <= 4 * 8  # the noted hashes are bounded too


def test_a_full_table_is_emptied_and_refills() -> None:
    memo = Memo(limit=4)
    for _ in range(2):
        for i in range(4):
            memo.put(i, str(i))
    assert len(memo) == 4
    for _ in range(2):
        memo.put(99, "new")
    assert len(memo) == 1 and memo.get(99) == "new"


def test_unhashable_keys_are_computed_every_time() -> None:
    memo = Memo()
    key = (("x", ["list"]),)
    for _ in range(3):
        assert memo.put(key, 1) == 1
        assert memo.get(key) is None
    assert not memo.keeps(key)


def test_clear_forgets_the_noted_keys_too() -> None:
    memo = Memo()
    memo.put("k", 1)
    memo.clear()
    memo.put("k", 2)
    assert memo.get("k") is None
