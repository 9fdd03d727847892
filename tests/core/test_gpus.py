"""The GPU table `augft plan` prices with."""
import pytest

from augft.core.errors import AugftError
from augft.core.gpus import GPUS, find_gpu, gpu_type


def test_training_mfu_takes_its_peak_from_the_table():
    from augft.core.gpus import peak_for_device

    assert peak_for_device("NVIDIA H100 80GB HBM3") == GPUS["H100"].bf16_flops
    assert peak_for_device("NVIDIA L40S") == GPUS["L40S"].bf16_flops and peak_for_device("NVIDIA L4") == 121e12
    assert peak_for_device("Tesla T4") == 0.0  # no bf16 peak known: MFU not reported
    for g in GPUS.values():
        assert 0 < g.train_mfu <= 1 and 0 < g.eval_mfu <= 1 and 0 < g.generation_efficiency <= 1


def test_names_as_ray_and_cuda_spell_them():
    assert find_gpu("h100") is GPUS["H100"] and find_gpu("A100-80G") is GPUS["A100-80G"]
    assert find_gpu("A100") is GPUS["A100-80G"] and find_gpu("B300") is None
    with pytest.raises(AugftError, match=r"plan\.gpu: unknown GPU type 'T4'"):
        gpu_type("T4", "plan.gpu")


def test_device_names_become_the_tables_names():
    from augft.core.gpus import canonical_gpu_name

    assert canonical_gpu_name("NVIDIA H100 80GB HBM3") == "H100"
    assert canonical_gpu_name("NVIDIA A100-SXM4-80GB") == "A100-80G"
    assert canonical_gpu_name("NVIDIA L40S") == "L40S" and canonical_gpu_name("NVIDIA L4") == "L4"
    assert canonical_gpu_name("Tesla T4") == "Tesla T4"  # unknown: kept as the device says
