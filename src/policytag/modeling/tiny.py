"""A tiny randomly initialised BERT with a character vocabulary, built in-process for tests."""

from __future__ import annotations

# Characters common in work reports, so that test paragraphs do not collapse into [UNK].
_CHARS = (
    "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经"
    "十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处理府研质"
    "改革创新科技环境生态保护污染治理安全应急防灾减灾消防民生就业养老医疗卫生健康教育学校文化旅游体育农村乡村振兴粮食城市规划交通道路住房产业园区招商投资财政税收金融债务增长收入营商审批服务法治执法信访维稳社区党风廉政干部作风监督完成实现取得计划力争确保问题不足困难短板挑战"
    "０123456789%，。、；：！？（）“”《》—…·"
)


def tiny_vocab() -> list[str]:
    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    return specials + list(dict.fromkeys(ch for ch in _CHARS if not ch.isspace()))


def tiny_backbone():
    """`(encoder, tokenizer)`: BertModel(hidden 32, 2 layers, 4 heads) over a character vocab,
    initialised from torch's global generator (seed it first for a repeatable model)."""
    from transformers import BertConfig, BertModel, BertTokenizerFast

    # transformers 5 takes the vocabulary as `vocab` and silently ignores a `vocab_file`
    tokenizer = BertTokenizerFast(
        vocab={piece: i for i, piece in enumerate(tiny_vocab())}, tokenize_chinese_chars=True
    )
    if tokenizer.vocab_size != len(tiny_vocab()):
        raise RuntimeError(f"tiny tokenizer: {tokenizer.vocab_size} pieces loaded of {len(tiny_vocab())}")
    config = BertConfig(
        vocab_size=len(tiny_vocab()),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=37,
        max_position_embeddings=512,
    )
    return BertModel(config, add_pooling_layer=False), tokenizer
