"""The words of the network view's columns: each kind of column's tooltip (HELP, also the
Filter timeline's), and what a dead filter's frame advises (DEAD_TIP). Text only, no Qt: kept
in one place so that it can be read and reworded without going through the drawing."""

HELP = {
    "input": "The probe image, one channel per tile (for colour images: red, green, blue). "
             "Bright = high value.",
    "filters": "A conv layer's filters: row f holds the small kernels that filter f slides over "
               "each input channel (columns). Red = positive weight, blue = negative, white = 0.",
    "maps": "Activation maps: what each filter responds to in the probe image, after the "
            "nonlinearity. Each map has its own colour scale (yellow = its highest value).",
    "pooled": "Pooled maps: each map shrunk by keeping the largest (max pooling) or average value "
              "of each small window, so the network keeps what was found and forgets exactly where.",
    "dense": "A dense layer: one cell per unit, from the top, coloured by its activation "
             "(yellow = highest in this layer).",
    "output": "Class probabilities (softmax of the last layer): how sure the network is that "
              "the probe image shows each class.",
    "gradients": "dL/d(map): how the probe's loss changes when a cell of the map beside it goes "
                 "up (red: the loss rises, blue: it falls, white: no effect). Backpropagation "
                 "carries this from the output back to every layer; each map has its own scale.",
    "filter gradients": "dL/dW for the probe: the direction each weight of the filters would be "
                        "pushed by this one image (red: lowering the weight lowers the loss).",
}

DEAD_TIP = ("Dead filter {f}: its map was 0 for every one of the {n:,} test images of the last "
            "evaluation. The ReLU after it never lets anything through, so no gradient reaches "
            "its weights and it cannot learn back by itself. Try a smaller learning rate (a too "
            "large step often kills filters), a leaky ReLU or batch norm before the ReLU, or Reset "
            "for new weights. The Top images dock shows what the live filters respond to.")
