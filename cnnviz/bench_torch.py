"""The PyTorch side of `cnnviz bench --vs-torch`, served from a child process.

PyTorch runs in its own process so that it sees the user's environment rather than the thread
wait policies cnnviz sets for itself (they slow PyTorch down). The child must import torch before
cnnviz, so it is started as `python -c "import torch; from cnnviz.bench_torch import serve; serve()"`.
It answers one line of JSON per command line read from stdin:
    {"network": NAME, "seconds": S}   -> {"step_s": median seconds per training step}
    {"network": NAME, "latency": true} -> {"latency_s": median one-image forward time}
"""
from __future__ import annotations

import json
import sys

import torch


class TorchRunner:
    def __init__(self, name: str):
        from cnnviz.architectures import load_architecture
        from cnnviz.bench import make_batches
        from cnnviz.engine.network import Network
        from cnnviz.torch_bridge import to_torch

        spec = load_architecture(name)
        self.model = to_torch(Network(spec, seed=0))
        self.batches = make_batches(spec)
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=0.01, momentum=0.9)
        self.loss = torch.nn.CrossEntropyLoss()

    def step(self, x, y):
        self.model.train()
        self.optimizer.zero_grad()
        self.loss(self.model(torch.from_numpy(x)), torch.from_numpy(y)).backward()
        self.optimizer.step()

    def forward(self, x):
        self.model.eval()
        with torch.no_grad():
            return self.model(torch.from_numpy(x))


def serve() -> None:
    from cnnviz.bench import median_latency, timed_round

    runners: dict[str, TorchRunner] = {}
    for line in sys.stdin:
        command = json.loads(line)
        name = command["network"]
        if name not in runners:
            runner = runners[name] = TorchRunner(name)
            for x, y in runner.batches[:3]:  # warm up
                runner.step(x, y)
        runner = runners[name]
        if command.get("latency"):
            answer = {"latency_s": median_latency(runner.forward, runner.batches[0][0][:1])}
        else:
            answer = {"step_s": timed_round(runner.step, runner.batches, command["seconds"])}
        print(json.dumps(answer), flush=True)
