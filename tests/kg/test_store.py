import pyoxigraph as ox
import pytest

from kg.store import StoreDirectory, StoreError, build_id

Q = ox.Quad(ox.NamedNode("http://x/s"), ox.NamedNode("http://x/p"), ox.Literal("o"), ox.NamedNode("http://x/g"))


def make_build(store: StoreDirectory, value: str) -> None:
    with store.new_build(build_id(0)) as path:
        db = ox.Store(str(store.database(path)))
        db.add(ox.Quad(Q.subject, Q.predicate, ox.Literal(value), Q.graph_name))
        db.flush()
        del db
        store.finish(path, {"value": value})


def values(store: StoreDirectory) -> list[str]:
    return [q.object.value for q in store.open_read_only()]


def test_a_finished_build_is_swapped_in(tmp_path):
    store = StoreDirectory(tmp_path)
    assert not store.exists()
    make_build(store, "first")
    make_build(store, "second")
    assert values(store) == ["second"] and store.summary() == {"value": "second"}


def test_a_failed_build_leaves_the_previous_store_serving(tmp_path):
    store = StoreDirectory(tmp_path)
    make_build(store, "first")
    reader = store.open_read_only()
    with pytest.raises(RuntimeError):
        with store.new_build(build_id(0)) as path:
            ox.Store(str(store.database(path))).add(Q)
            raise RuntimeError("killed mid-way")
    assert values(store) == ["first"] and len(reader) == 1
    assert len(list((tmp_path / "builds").iterdir())) == 1


def test_a_build_without_summary_is_not_swapped_in(tmp_path):
    store = StoreDirectory(tmp_path)
    make_build(store, "first")
    with pytest.raises(StoreError, match="without build.json"):
        with store.new_build(build_id(0)):
            pass
    assert values(store) == ["first"]


def test_one_build_at_a_time(tmp_path):
    store = StoreDirectory(tmp_path)
    with store.new_build(build_id(0)) as path:
        with pytest.raises(StoreError, match="another build is running"):
            with store.new_build(build_id(0)):
                pass
        store.finish(path, {"value": "only"})
    assert store.summary() == {"value": "only"}


def test_prune_keeps_current_and_the_newest(tmp_path):
    store = StoreDirectory(tmp_path)
    for value in "abcd":
        make_build(store, value)
    store.prune(keep=1)
    assert len(list((tmp_path / "builds").iterdir())) == 2 and values(store) == ["d"]


def test_no_store_is_a_clear_error(tmp_path):
    with pytest.raises(StoreError, match="no finished build.*kg build"):
        StoreDirectory(tmp_path).open_read_only()
