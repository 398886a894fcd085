# A CPU-bound Python program for the CLI's tests (austin reads Python 3.8): hot_loop runs for
# argv[1] seconds (default 3) with short sleeps between calls; exits with code 5.
import sys
import time


def hot_loop(n):
    s = 0
    for i in range(n):
        s += i * i
    return s


def main():
    end = time.time() + float(sys.argv[1] if len(sys.argv) > 1 else 3)
    while time.time() < end:
        hot_loop(200000)
        time.sleep(0.001)
    print("burn-py done")
    sys.exit(5)


main()
