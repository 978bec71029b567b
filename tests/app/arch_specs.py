"""The small architecture the architecture editor's tests edit, shared by the pane's tests and
those of its Qt-free model and row texts."""

SMALL = {  # 1x8x8 in, so a big kernel cannot fit: conv 3x3 -> 4x6x6, pool 2 -> 4x3x3, 36, 2
    "name": "small",
    "input": [1, 8, 8],
    "classes": ["a", "b"],
    "layers": [{"type": "conv", "filters": 4, "kernel": 3},
               {"type": "relu"},
               {"type": "maxpool", "size": 2},
               {"type": "flatten"},
               {"type": "dense", "units": 2}],
}
