#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Send one command to a QEMU human monitor on a unix socket.

Usage: qemu-monitor.py SOCKET COMMAND...
Prints what the monitor answered; exits non-zero if it could not connect.
"""
import socket
import sys
import time


def read_prompt(s, timeout=30):
	s.settimeout(timeout)
	data = b''
	while not data.endswith(b'(qemu) '):
		chunk = s.recv(4096)
		if not chunk:
			break
		data += chunk
	return data.decode(errors='replace')


def main():
	if len(sys.argv) < 3:
		print(__doc__, file=sys.stderr)
		return 2
	s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
	for _ in range(50):
		try:
			s.connect(sys.argv[1])
			break
		except OSError:
			time.sleep(0.1)
	else:
		print(f'cannot connect to {sys.argv[1]}', file=sys.stderr)
		return 1
	read_prompt(s)
	s.sendall((' '.join(sys.argv[2:]) + '\n').encode())
	out = read_prompt(s)
	# The monitor echoes the command; print only its answer.
	lines = [l for l in out.replace('\r', '').split('\n')[1:]
		 if l and not l.startswith('(qemu)')]
	print('\n'.join(lines))
	return 0


if __name__ == '__main__':
	sys.exit(main())
