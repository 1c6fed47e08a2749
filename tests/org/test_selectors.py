from chibo.accounts.access import scope_for
from chibo.org import selectors


def test_subtree_counts_per_child(world):
    rows = dict((u.code, c) for u, c in selectors.children_with_counts(world.c1))
    assert rows["C1-A"].members == 3
    assert rows["C1-A"].official == 2 and rows["C1-A"].probationary == 1
    assert rows["C1-B"].members == 1
    total = selectors.unit_counts(world.p)
    assert (total.cells, total.members) == (3, 5)


def test_search_folds_diacritics_and_d(world):
    scope = scope_for(world.users["admin_p"])
    found = list(selectors.search_members(scope, q="dang thi hoa"))
    assert found == [world.hoa]
    assert list(selectors.search_members(scope, q="ĐẶNG")) == [world.hoa]


def test_officer_sees_only_own_subtree(world):
    scope = scope_for(world.users["officer_c2"])
    assert list(selectors.search_members(scope)) == [world.dung]
