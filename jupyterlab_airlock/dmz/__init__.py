"""DMZ requests: what a kernel in the air gap lacks, written for the DMZ (``writer``), the
document both sides check (``document``), and back in the air gap, which request a
delivered bundle answers (``delivery``). The DMZ side's command is in ``bundle``."""
