"""One encoder, two heads: a paragraph's role and domain in one forward pass.

A paragraph longer than the encoder's window is cut into overlapping windows
(`windows.py`); each window is mean-pooled over its tokens and the windows of one
paragraph are averaged, so a paragraph of any length gets one vector for both heads.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import nn

from policytag.runtime.manifest import write_manifest
from policytag.runtime.settings import ExportSettings, LabelMaps, load_settings
from policytag.runtime.windows import ContextConfig, WindowConfig, special_ids

HEADS_FILE = "heads.safetensors"


class TwoHeadClassifier(nn.Module):
    """Shared encoder, mean pooling over tokens and windows, a role head and a domain head."""

    def __init__(
        self, encoder: nn.Module, role_labels: list[str], domain_labels: list[str], dropout: float = 0.1
    ):
        super().__init__()
        self.encoder = encoder
        hidden = encoder.config.hidden_size
        self.role_labels, self.domain_labels = list(role_labels), list(domain_labels)
        self.dropout = nn.Dropout(dropout)
        self.role_head = nn.Linear(hidden, len(role_labels))
        self.domain_head = nn.Linear(hidden, len(domain_labels))

    def lower_states(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor, layers: int
    ) -> torch.Tensor:
        """Hidden states after the embeddings and the lowest `layers` encoder layers."""
        hidden = self.encoder.embeddings(input_ids=input_ids)
        return self._layers(hidden, attention_mask, 0, layers)

    def _layers(
        self, hidden: torch.Tensor, attention_mask: torch.Tensor, start: int, stop: int | None
    ) -> torch.Tensor:
        from transformers.masking_utils import create_bidirectional_mask

        mask = create_bidirectional_mask(
            config=self.encoder.config, inputs_embeds=hidden, attention_mask=attention_mask
        )
        for layer in self.encoder.encoder.layer[start:stop]:
            hidden = layer(hidden, mask)
        return hidden

    def window_vectors(
        self,
        input_ids: torch.Tensor | None,
        attention_mask: torch.Tensor,
        lower: torch.Tensor | None = None,
        from_layer: int = 0,
    ) -> torch.Tensor:
        """One vector per window: the mean of its tokens' last hidden states. With `lower`
        (the states after `from_layer` layers, see `lower_states`), only the layers above run."""
        if lower is None:
            hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        else:
            hidden = self._layers(lower, attention_mask, from_layer, None)
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
        return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)

    def window_logits(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Both heads per window; the mean over a paragraph's windows equals `forward` (heads are linear)."""
        windows = self.window_vectors(input_ids, attention_mask)
        return self.role_head(windows), self.domain_head(windows)

    def embed(
        self,
        input_ids: torch.Tensor | None,
        attention_mask: torch.Tensor,
        paragraph_of: torch.Tensor,
        lower: torch.Tensor | None = None,
        from_layer: int = 0,
    ) -> torch.Tensor:
        """One vector per paragraph: token mean within each window, then window mean."""
        windows = self.window_vectors(input_ids, attention_mask, lower, from_layer)
        n = int(paragraph_of.max().item()) + 1 if paragraph_of.numel() else 0
        pooled = windows.new_zeros(n, windows.shape[-1]).index_add_(0, paragraph_of, windows)
        counts = torch.bincount(paragraph_of, minlength=n).clamp(min=1).to(pooled.dtype).unsqueeze(-1)
        return pooled / counts

    def forward(
        self,
        input_ids: torch.Tensor | None,
        attention_mask: torch.Tensor,
        paragraph_of: torch.Tensor,
        lower: torch.Tensor | None = None,
        from_layer: int = 0,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        pooled = self.dropout(self.embed(input_ids, attention_mask, paragraph_of, lower, from_layer))
        return self.role_head(pooled), self.domain_head(pooled)

    def settings(
        self,
        tokenizer,
        prefix: str,
        windows: WindowConfig,
        backbone: dict,
        label_names: dict[str, str],
        context: ContextConfig | None = None,
    ) -> ExportSettings:
        """What a saved model needs to read text the way training did and to decode its heads."""
        return ExportSettings(
            labels=LabelMaps(self.role_labels, self.domain_labels),
            special_ids=special_ids(tokenizer),
            windows=windows,
            prefix=prefix,
            backbone=backbone,
            label_names=label_names,
            context=context,
        )

    def save(self, folder: Path, tokenizer, settings: ExportSettings) -> None:
        """Write encoder, heads, tokenizer, settings and a manifest of them to `folder`."""
        from safetensors.torch import save_file

        folder.mkdir(parents=True, exist_ok=True)
        self.encoder.config.policytag_labels = {"role": self.role_labels, "domain": self.domain_labels}
        self.encoder.save_pretrained(folder)
        tokenizer.save_pretrained(folder)
        heads = {
            f"{name}.{k}": v.detach().contiguous()
            for name in ("role_head", "domain_head")
            for k, v in getattr(self, name).state_dict().items()
        }
        save_file(heads, str(folder / HEADS_FILE))
        settings.write(folder)
        write_manifest(folder, {"model": "policytag two-head classifier"})

    @classmethod
    def load(cls, folder: Path, attention: str = "sdpa") -> tuple[TwoHeadClassifier, object, ExportSettings]:
        """`(model, tokenizer, settings)` from a folder written by `save`, offline."""
        from safetensors.torch import load_file
        from transformers import AutoModel, AutoTokenizer

        settings = load_settings(folder)
        encoder = AutoModel.from_pretrained(folder, add_pooling_layer=False, attn_implementation=attention)
        tokenizer = AutoTokenizer.from_pretrained(folder)
        model = cls(encoder, settings.labels.role, settings.labels.domain)
        heads = load_file(str(folder / HEADS_FILE))
        for name in ("role_head", "domain_head"):
            getattr(model, name).load_state_dict(
                {k.split(".", 1)[1]: v for k, v in heads.items() if k.startswith(name)}
            )
        return model.eval(), tokenizer, settings


class TorchWindowLogits:
    """A `WindowLogits` callable over a `TwoHeadClassifier` (no gradients, eval mode)."""

    def __init__(self, model: TwoHeadClassifier, device: str = "cpu") -> None:
        self.model, self.device = model.eval().to(device), device

    @torch.inference_mode()
    def __call__(self, input_ids: np.ndarray, attention_mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        ids = torch.from_numpy(input_ids).to(self.device)
        mask = torch.from_numpy(attention_mask).to(self.device)
        with torch.autocast("cuda", dtype=torch.bfloat16, enabled=torch.device(self.device).type == "cuda"):
            role, domain = self.model.window_logits(ids, mask)
        return role.float().cpu().numpy(), domain.float().cpu().numpy()
