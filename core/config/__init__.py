"""The augft config: one OmegaConf structured-config tree.

Each section lives in its own module (owned by the stage that reads it); this
module assembles the root and does loading, merging and validation so that an
unknown key, a wrong type or a missing value is an error that names the key.
"""
from augft.core.config.root import AugftConfig
from augft.core.config.load import ConfigError, load_config, to_yaml, field_docs

__all__ = ["AugftConfig", "ConfigError", "load_config", "to_yaml", "field_docs"]
