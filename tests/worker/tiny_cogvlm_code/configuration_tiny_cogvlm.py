"""Configuration of the tiny CogVLM2-like test model (remote code, see ``modeling_tiny_cogvlm``)."""

from transformers import PretrainedConfig


class TinyCogVLMConfig(PretrainedConfig):
    model_type = "tiny_cogvlm"

    def __init__(
        self,
        vocab_size=128,
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        vision_config=None,
        template_version="chat",
        rms_norm_eps=1e-5,
        rope_theta=10000.0,
        initializer_range=0.2,
        pad_token_id=None,
        bos_token_id=None,
        eos_token_id=None,
        **kwargs,
    ):
        self.vocab_size = vocab_size
        self.hidden_size = hidden_size
        self.intermediate_size = intermediate_size
        self.num_hidden_layers = num_hidden_layers
        self.num_attention_heads = num_attention_heads
        self.vision_config = dict(
            vision_config
            or {"image_size": 16, "patch_size": 4, "hidden_size": 16, "num_heads": 2, "num_hidden_layers": 1}
        )
        self.template_version = template_version
        self.rms_norm_eps = rms_norm_eps
        self.rope_theta = rope_theta
        self.initializer_range = initializer_range
        self.pad_token_id = pad_token_id
        self.bos_token_id = bos_token_id
        self.eos_token_id = eos_token_id
        super().__init__(**kwargs)
