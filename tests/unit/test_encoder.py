"""The sentence encoder: all-MiniLM-L6-v2 as int8 ONNX through onnxruntime, no torch."""

import sys

import numpy as np
import pytest

from claims.encoder import DEFAULT_ENCODER, EncoderError, encoder_files, load_encoder

SENTENCES = [
    "Western unity on sanctions and security commitments remained steadfast.",
    "The allies stayed united on sanctions against Russia.",
    "The recipe calls for two cups of flour and a pinch of salt.",
    "NATO, founded in 1949, now has 32 members.",
    "Short.",
]


@pytest.fixture(scope="module")
def encoder():
    return load_encoder()


def test_embeddings_are_unit_vectors_of_the_model_dimension(encoder):
    vectors = encoder.encode(SENTENCES)
    assert vectors.shape == (len(SENTENCES), 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_a_text_gets_the_same_embedding_whatever_its_batch_and_position(encoder):
    alone = np.stack([encoder.encode([s])[0] for s in SENTENCES])
    together = encoder.encode(SENTENCES, batch_size=2)
    reversed_ = encoder.encode(SENTENCES[::-1], batch_size=64)[::-1]
    # Exactly: the graph runs in float32 (its int8 weights are cast at load), each row on its own.
    assert np.array_equal(alone, together) and np.array_equal(alone, reversed_)


def test_a_paraphrase_is_closer_than_an_unrelated_sentence(encoder):
    unity, paraphrase, recipe, *_ = encoder.encode(SENTENCES)
    assert unity @ paraphrase > 0.5 > unity @ recipe


def test_no_text_gives_an_empty_array(encoder):
    assert encoder.encode([]).shape == (0, 384)


def test_the_version_names_the_model_and_its_file(encoder):
    assert encoder.version.startswith(f"{DEFAULT_ENCODER}@") and len(encoder.version.split("@")[1]) == 12


def test_the_encoder_runs_without_torch(encoder):
    encoder.encode(SENTENCES[:1])
    assert "torch" not in sys.modules


def test_a_folder_without_the_model_files_is_a_named_error(tmp_path):
    with pytest.raises(EncoderError, match="model.onnx"):
        encoder_files(str(tmp_path))
    with pytest.raises(EncoderError, match="neither"):
        encoder_files(str(tmp_path / "missing"))
