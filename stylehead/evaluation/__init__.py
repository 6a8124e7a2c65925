"""Measuring stylehead against real clips and baselines: every ``evaluate`` and ``benchmark`` command's code.

One subpackage, the top of the stack (it may use everything else; nothing uses it): the metrics
(``metrics``, ``image_metrics``), one module per evaluation (``lipsync``, ``talking_head``, ``style``,
``renderer``, ``render_fidelity``, ``speed``) and one table and JSON writer (``report``).
"""
