from dataclasses import dataclass, field

import pytest

from conftest import CONFIGS
from policytag.config import ConfigError, apply_overrides, from_dict, read_yaml
from policytag.data.prepare import PrepareConfig, load_prepare_config
from policytag.labels.domain import DomainLabeler, DomainRules
from policytag.labels.role import RoleRules
from policytag.labels.schema import LabelSchema
from policytag.training.config import load_train_config

TAXONOMY_IDS = {
    "role": ["achievement", "problem", "plan"],
    "domain": [
        "general",
        "economy",
        "industry",
        "innovation",
        "reform",
        "rural",
        "urban",
        "ecology",
        "welfare",
        "culture_edu",
        "safety",
        "governance",
        "government",
    ],
}


def test_every_yaml_in_configs_loads_and_validates(schema):
    recipes = sorted(CONFIGS.rglob("*.yaml"))
    assert recipes
    for path in recipes:
        relative = path.relative_to(CONFIGS).as_posix()
        if relative == "taxonomy.yaml":
            LabelSchema.load(path)
        elif relative.startswith("data/"):
            load_prepare_config(path)
        elif relative.startswith("train/"):
            load_train_config(path)
        elif relative == "rules/role.yaml":
            from_dict(RoleRules, read_yaml(path), source=str(path))
        elif relative == "rules/domain.yaml":
            DomainLabeler(from_dict(DomainRules, read_yaml(path), source=str(path)), schema.domain)
        else:
            pytest.fail(f"{relative}: no test loads this config")


def test_taxonomy_ids_are_the_contract(schema):
    assert list(schema.role) == TAXONOMY_IDS["role"]
    assert list(schema.domain) == TAXONOMY_IDS["domain"]


def test_unknown_key_names_the_key_and_file():
    path = CONFIGS / "data" / "default.yaml"
    with pytest.raises(ConfigError, match=r"default.yaml: unknown key split.sed"):
        load_prepare_config(path, ["split.sed=3"])


def test_wrong_types_and_bad_values_name_the_key():
    path = CONFIGS / "data" / "default.yaml"
    with pytest.raises(ConfigError, match=r"segment.min_chars: expected int"):
        load_prepare_config(path, ["segment.min_chars=abc"])
    with pytest.raises(ConfigError, match=r"split: fractions: must sum to 1"):
        load_prepare_config(path, ["split.fractions.train=0.5"])
    with pytest.raises(ConfigError, match=r"split.stratify_by: 'town' is not one of"):
        load_prepare_config(path, ["split.stratify_by=town"])


def test_override_applies_nested_values():
    config = load_prepare_config(CONFIGS / "data" / "default.yaml", ["split.seed=7", "workers=1"])
    assert isinstance(config, PrepareConfig)
    assert config.split.seed == 7 and config.workers == 1
    with pytest.raises(ConfigError, match="expected KEY.SUB=VALUE"):
        apply_overrides({}, ["split.seed"])


def test_a_float_written_with_an_exponent_is_a_float():
    config = load_train_config(CONFIGS / "train" / "tiny.yaml", ["optim.lr=3e-3", "optim.head_lr=1E+1"])
    assert config.optim.lr == 0.003 and config.optim.head_lr == 10.0
    with pytest.raises(ConfigError, match=r"optim.lr: expected float, got str 'fast'"):
        load_train_config(CONFIGS / "train" / "tiny.yaml", ["optim.lr=fast"])


def test_rules_with_unknown_domain_or_rule_fail(schema):
    with pytest.raises(ValueError, match="lexicon.weather: not a domain"):
        DomainLabeler(DomainRules(lexicon={"weather": ["雨"]}), schema.domain)
    with pytest.raises(ConfigError, match="precedence: unknown rule 'vibes'"):
        from_dict(RoleRules, {**read_yaml(CONFIGS / "rules" / "role.yaml"), "precedence": ["vibes"]})


def test_missing_required_key_is_named():
    @dataclass(frozen=True)
    class Inner:
        size: int

    @dataclass(frozen=True)
    class Outer:
        inner: Inner
        names: list[str] = field(default_factory=list)

    with pytest.raises(ConfigError, match="missing required key inner.size"):
        from_dict(Outer, {"inner": {}})
    assert from_dict(Outer, {"inner": {"size": 3}, "names": ["a"]}) == Outer(Inner(3), ["a"])


def test_a_bad_regular_expression_is_named():
    data = read_yaml(CONFIGS / "rules" / "role.yaml")
    data["problem_openers"] = ["清醒(看到"]
    with pytest.raises(ConfigError, match=r"bad regular expression '清醒\(看到'"):
        from_dict(RoleRules, data)
