"""Which share of a batch this process makes: among the processes ``accelerate launch`` started, or alone.

``accelerate launch`` (torchrun underneath, or mpirun for several CPU machines) sets ``WORLD_SIZE`` and
``RANK`` in each process's environment; only then is accelerate imported and its process group
started, so a plain ``python -m stylehead batch`` needs neither. Jobs are dealt out by number
(process ``i`` of ``n`` takes jobs ``i``, ``i + n``, …); the claims in
:mod:`stylehead.batch.records` keep even differently split runs from making a job twice.
"""

import datetime
import os
from dataclasses import dataclass
from typing import Any

WORLD_SIZE_NAMES = ("WORLD_SIZE", "PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "MV2_COMM_WORLD_SIZE")  # torchrun, MPI
WAIT_HOURS = 72  # how long a process that finished its share waits for the others before giving up


@dataclass
class ProcessGroup:
    """This process's place among the batch's processes."""

    index: int
    count: int
    state: Any = None  # accelerate's PartialState, when several processes were launched

    @property
    def is_main(self) -> bool:
        return self.index == 0

    def share(self, items: list) -> list:
        """This process's items: every ``count``-th, from its own index."""
        return items[self.index :: self.count]

    def wait_for_everyone(self) -> None:
        if self.state is not None:
            self.state.wait_for_everyone()

    def gather(self, items: list) -> list:
        """Every process's ``items``, one list (the same in each process)."""
        if self.state is None:
            return list(items)
        from accelerate.utils import gather_object

        return gather_object(list(items))

    def close(self) -> None:
        """Leave the process group (left open, its threads abort the interpreter as it exits)."""
        if self.state is not None:
            self.state.destroy_process_group()


def launched_processes() -> ProcessGroup:
    """This process's :class:`ProcessGroup`: from accelerate when a launcher started several, else one of one."""
    if max(int(os.environ.get(name, "1") or "1") for name in WORLD_SIZE_NAMES) <= 1:
        return ProcessGroup(0, 1)
    import torch
    from accelerate import PartialState

    cpu = os.environ.get("ACCELERATE_USE_CPU", "").lower() in ("1", "true") or not torch.cuda.is_available()
    state = PartialState(cpu=cpu, timeout=datetime.timedelta(hours=WAIT_HOURS))
    return ProcessGroup(state.process_index, state.num_processes, state)
