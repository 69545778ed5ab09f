"""A tiny CogVLM2-like model as remote code (``configuration_tiny_cogvlm.py``,
``modeling_tiny_cogvlm.py``): copied into a saved model folder by ``tests/worker/tiny_cogvlm.py``
and loaded from there with ``trust_remote_code``, as VisionReward-Video's own code is."""
