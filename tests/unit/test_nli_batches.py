"""The cross-encoders (the contradiction model and the fact-check lookup's re-ranker): a pair's
probabilities are exactly those it gets alone, whatever else is scored with it. A batch-invariant
graph (nli.json ``batch_invariant``) runs pairs of similar length in batches; the shipped ones are
quantised per batch and run one pair at a time."""

from __future__ import annotations

import numpy as np
import pytest

from claims.lookup import load_lookup, load_reranker
from claims.nli import PAIR_BATCH, load_nli

CLAIMS = [
    "Western unity on sanctions and security commitments remained steadfast.",
    "The conference exposed deep transatlantic fractures over Ukraine.",
    "NATO, founded in 1949, now has 32 members.",
    "Prices rose.",
    "The ministry said on Tuesday that 4,500 households in the three northern districts had been without power since "
    "the storm, and that repairs would take until the end of the month at the earliest.",
    "The port reopened after a 12-day strike.",
]


def pairs() -> tuple[list[str], list[str]]:
    """Every ordered pair of CLAIMS, repeated past one batch, in a shuffled order."""
    both = [(a, b) for a in CLAIMS for b in CLAIMS if a != b] * 3
    order = np.random.default_rng(0).permutation(len(both))
    return [both[k][0] for k in order], [both[k][1] for k in order]


@pytest.fixture(scope="module", params=["contradiction", "re-ranker"])
def model(request):
    if request.param == "contradiction":
        return load_nli()
    return load_reranker(load_lookup())


def test_each_pair_gets_exactly_its_probabilities_alone_inside_batches_of_mixed_lengths(model):
    first, second = pairs()
    assert len(first) > PAIR_BATCH
    alone = np.stack([model.probabilities([a], [b])[0] for a, b in zip(first, second)])
    assert np.array_equal(model.probabilities(first, second), alone)
    assert np.array_equal(model.probabilities(first[::-1], second[::-1]), alone[::-1])


def test_a_negation_is_still_read_as_a_contradiction_and_a_paraphrase_as_entailment():
    p = load_nli().probabilities(["The port reopened on Monday.", "The port reopened on Monday."],
                            ["The port did not reopen on Monday.", "On Monday the port opened again."])
    assert p[0].argmax() == 2 and p[1].argmax() == 0


def test_only_a_batch_invariant_graph_runs_pairs_in_batches(model):
    from claims.nli import PairModel, nli_files

    files, meta = nli_files(str(model.files.model.parent))
    assert model.batch_size == (PAIR_BATCH if meta.get("batch_invariant") else 1)
    assert PairModel(files, meta["labels"], threads=1, batch_invariant=True).batch_size == PAIR_BATCH


def test_a_model_run_one_pair_at_a_time_takes_one_thread_unless_told():
    from claims.nli import PairModel, nli_files

    files, meta = nli_files()
    assert not meta.get("batch_invariant")
    assert PairModel(files, meta["labels"]).session.get_session_options().intra_op_num_threads == 1
    assert PairModel(files, meta["labels"], threads=2).session.get_session_options().intra_op_num_threads == 2
