from harness import test
