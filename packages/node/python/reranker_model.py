"""BERT / XLM-RoBERTa sequence classification, as Hugging Face transformers computes it (post-LN
encoder, exact erf GELU, first-token head), written against an engine's small array API."""
import math

NEG = -1e9  # additive mask for padded keys: exp() underflows to exactly 0 in fp32


class CrossEncoder:
    def __init__(self, engine, config, tensors):
        self.e = engine
        self.model_type = config.get("model_type")
        if self.model_type not in ("bert", "xlm-roberta"):
            raise ValueError(f"model_type {self.model_type} is not supported (bert, xlm-roberta)")
        self.prefix = "bert" if self.model_type == "bert" else "roberta"
        self.heads = config["num_attention_heads"]
        self.layers = config["num_hidden_layers"]
        self.eps = config.get("layer_norm_eps", 1e-12)
        self.pad = config.get("pad_token_id", 0)
        id2label = config.get("id2label")
        self.num_labels = len(id2label) if id2label else config.get("num_labels", 1)
        head = ("bert.pooler.dense", "classifier") if self.prefix == "bert" else ("classifier.dense", "classifier.out_proj")
        self.pool_name, self.out_name = head
        missing = [n for n in (f"{self.prefix}.embeddings.word_embeddings.weight", f"{self.out_name}.weight") if n not in tensors]
        if missing:
            raise ValueError(f"model.safetensors lacks {', '.join(missing)}: not a {self.model_type} sequence classifier")
        # Linear weights are stored [out, in]: keep them transposed once for x @ w.
        self.p = {}
        for name, host in tensors.items():
            is_linear = name.endswith(".weight") and host.ndim == 2 and "embeddings" not in name
            self.p[name] = engine.asarray(host.T if is_linear else host)

    def _linear(self, x, name):
        return self.e.matmul(x, self.p[f"{name}.weight"]) + self.p[f"{name}.bias"]

    def _norm(self, x, name):
        e = self.e
        mu = e.mean(x, -1)
        centered = x - mu
        var = e.mean(centered * centered, -1)
        return centered / e.sqrt(var + self.eps) * self.p[f"{name}.weight"] + self.p[f"{name}.bias"]

    def logits(self, input_ids, attention_mask, token_type_ids):
        e = self.e
        ids = e.ints(input_ids)
        types = e.ints(token_type_ids) if token_type_ids is not None and self.prefix == "bert" else ids * 0
        batch, seq = len(input_ids), len(input_ids[0])
        if self.prefix == "bert":
            positions = e.ints([list(range(seq))] * batch)
        else:
            # create_position_ids_from_input_ids: cumsum over non-pad tokens, pad tokens at pad_idx.
            not_pad = e.to_int(ids != self.pad)
            positions = e.cumsum(not_pad, 1) * not_pad + self.pad
        emb = f"{self.prefix}.embeddings"
        x = (
            e.take(self.p[f"{emb}.word_embeddings.weight"], ids)
            + e.take(self.p[f"{emb}.position_embeddings.weight"], positions)
            + e.take(self.p[f"{emb}.token_type_embeddings.weight"], types)
        )
        x = self._norm(x, f"{emb}.LayerNorm")
        hidden = x.shape[-1]
        dh = hidden // self.heads
        # Built on the host: in fp16 NEG becomes -inf, and (1 - 1) * -inf would be NaN on the device.
        additive = e.reshape(e.asarray([[0.0 if m else NEG for m in row] for row in attention_mask]), (batch, 1, 1, seq))
        scale = 1.0 / math.sqrt(dh)

        def split(t):
            return e.transpose(e.reshape(t, (batch, seq, self.heads, dh)), (0, 2, 1, 3))

        for layer in range(self.layers):
            name = f"{self.prefix}.encoder.layer.{layer}"
            q = split(self._linear(x, f"{name}.attention.self.query"))
            k = split(self._linear(x, f"{name}.attention.self.key"))
            v = split(self._linear(x, f"{name}.attention.self.value"))
            scores = e.matmul(q, e.transpose(k, (0, 1, 3, 2))) * scale + additive
            scores = e.exp(scores - e.max(scores, -1))
            probs = scores / e.sum(scores, -1)
            context = e.reshape(e.transpose(e.matmul(probs, v), (0, 2, 1, 3)), (batch, seq, hidden))
            attended = self._norm(self._linear(context, f"{name}.attention.output.dense") + x, f"{name}.attention.output.LayerNorm")
            inter = self._linear(attended, f"{name}.intermediate.dense")
            inter = inter * 0.5 * (1.0 + e.erf(inter / math.sqrt(2.0)))
            x = self._norm(self._linear(inter, f"{name}.output.dense") + attended, f"{name}.output.LayerNorm")

        first = x[:, 0, :]
        pooled = e.tanh(self._linear(first, self.pool_name))
        return e.tolist(self._linear(pooled, self.out_name))
