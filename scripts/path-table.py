#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Print the whole-path benchmark (tests/guest/pathbench.c) of the two
kernels side by side: path-table.py PATH_CSV [PLOT_DAT_DIR].

Rows of PATH_CSV (no header):
  update,LABEL,DISPLAY,WxH,KIND,UPDATE,CLIP,ioctl_us,shown_us,wire,copied,held,flushed,busy,note
  stream,LABEL,DISPLAY,WxH,KIND,flips,pictures,us,fps,bytes_per_us[,note]
  fence,LABEL,DISPLAY,WxH,KIND,ioctl_us,shown_after_signal_us
KIND is dumb, vgem or bochs. A kind whose buffers the kernel could not
import has "-" for every figure and the reason in the note ("cannot
import: ENOSYS"). DISPLAY vkms is measured through writeback: shown_us is
when the writeback job completed, wire "-", copied and held "n/a".

make bench runs each kernel in several boots (rounds), alternating the
kernels, and each round adds its rows: a figure here is the median over
the rounds of the round's figure (itself a median of the round's
updates). Ratios are converted / 6.12 of those medians: below 1.00 the
converted path is faster. Beside each ratio the range of the rounds'
own ratios (round i of the converted kernel against round i of 6.12):
a cell the converted path loses in every round is listed at the end.
With PLOT_DAT_DIR, one file per kernel and display (area-LABEL-DISPLAY.dat:
damaged pixels, shown_us) for the imported buffers' DIRTYFB rows.
"""
import csv
import os
import sys

OLD, NEW = "6.12", "converted"
AREA = {"64x64": lambda w, h: 64 * 64, "quarter": lambda w, h: (w // 2) * (h // 2),
        "full": lambda w, h: w * h}


def ratio(new, old):
    try:
        return "%.2f" % (float(new) / float(old))
    except (ValueError, ZeroDivisionError):
        return "-"


def ms(us):
    try:
        return "%.2f" % (float(us) / 1000)
    except ValueError:
        return "-"


def fps(v):
    """Full frames the device can have shown per second: min(flips,
    pictures) over the time (gud publishes a picture per transfer,
    gm12u320's worker skips flips)."""
    try:
        return "%.2f" % (min(int(v[0]), int(v[1])) * 1e6 / int(v[2]))
    except (TypeError, ValueError, ZeroDivisionError):
        return "-"


def ordered(rows):
    """The keys without their kernel, in the order they first occur."""
    keys = []
    for k in rows:
        if k[1:] not in keys:
            keys.append(k[1:])
    return keys


def med(vals):
    """The median of the numbers among @vals (a string, as in the CSV);
    "-" if none is a number."""
    nums = []
    for v in vals:
        try:
            nums.append(float(v))
        except (TypeError, ValueError):
            pass
    if not nums:
        return "-"
    nums.sort()
    m = nums[len(nums) // 2]
    return "%d" % m if m == int(m) else "%.2f" % m


def merged(rounds):
    """One row of figures from the rounds' rows of a cell: the median of
    each figure, the notes of all rounds."""
    if not rounds:
        return None
    row = [med(r[i] for r in rounds) if i < len(rounds[0]) else ""
           for i in range(len(rounds[0]))]
    return row


def spread(o, n, i, f=float):
    """The range of the rounds' ratios converted / 6.12 of figure @i
    (through @f): "lo-hi", or "-"."""
    rs = []
    for a, b in zip(n or [], o or []):
        try:
            rs.append(f(a[i] if i is not None else a) /
                      f(b[i] if i is not None else b))
        except (TypeError, ValueError, ZeroDivisionError):
            pass
    if not rs:
        return "-", None
    return "%.2f-%.2f" % (min(rs), max(rs)), min(rs)


def main():
    rows = list(csv.reader(open(sys.argv[1])))
    upd, stream, fence = {}, {}, {}
    for r in rows:
        if r[0] == "update":
            upd.setdefault((r[1],) + tuple(r[2:7]), []).append(r[7:])
        elif r[0] == "stream":
            stream.setdefault((r[1],) + tuple(r[2:5]), []).append(r[5:])
        elif r[0] == "fence":
            fence.setdefault((r[1],) + tuple(r[2:5]), []).append(r[5:])
    keys = ordered(upd)
    nrounds = max(len(v) for v in upd.values()) if upd else 0
    losses = []

    print("== The whole path: ioctl and until the device has decoded the update"
          " (ms; median of 7 updates per round, median of %d rounds;"
          " ratio converted / 6.12, and the range of the rounds' ratios) =="
          % nrounds)
    fmt = ("%-9s %-9s %-5s %-7s %-7s | %8s %8s %5s %9s | %8s %8s %5s %9s"
           " | %7s %7s | %9s %9s %s")
    print(fmt % ("display", "size", "buf", "update", "clip", "ioctl 6.12", "conv",
                 "ratio", "rounds", "shown 6.12", "conv", "ratio", "rounds",
                 "wire old", "new", "copied", "staging", "notes"))
    for k in keys:
        ro, rn = upd.get((OLD,) + k), upd.get((NEW,) + k)
        o, n = merged(ro), merged(rn)
        notes = []
        for lab, rv in ((OLD, ro), (NEW, rn)):
            if not rv:
                continue
            fl = sum(int(v[5]) for v in rv if v[5].isdigit())
            if fl:
                notes.append("%s: %d flushed" % (lab, fl))
            for note in sorted({v[7] for v in rv if len(v) > 7 and v[7]}):
                notes.append("%s: %s" % (lab, note))
        si, li = spread(ro, rn, 0)
        ss, ls = spread(ro, rn, 1)
        for fig, lo in (("ioctl", li), ("shown", ls)):
            if lo is not None and lo > 1.0:
                losses.append("%s %s %s %s %s: %s %s (rounds %s)" %
                              (k + (fig, ratio(n[0 if fig == "ioctl" else 1],
                                               o[0 if fig == "ioctl" else 1]),
                                    si if fig == "ioctl" else ss)))
        print(fmt % (k[0], k[1], k[2], k[3], k[4],
                     ms(o[0]) if o else "-", ms(n[0]) if n else "-",
                     ratio(n[0], o[0]) if o and n else "-", si,
                     ms(o[1]) if o else "-", ms(n[1]) if n else "-",
                     ratio(n[1], o[1]) if o and n else "-", ss,
                     o[2] if o else "-", n[2] if n else "-",
                     n[3] if n else "-", n[4] if n else "-",
                     ", ".join(notes)))
    if any(k[0] == "vkms" for k in keys):
        print("(vkms, not converted, the same driver in both kernels, measured"
              " through writeback: shown = until the writeback job of a commit"
              " completed, the capture checked exactly; for DIRTYFB, which vkms"
              " refuses with ENOSYS as it scans out live, a writeback-only"
              " commit after the ioctl; wire and staging do not apply)")

    print()
    print("== Full-frame stream: blocking flips between two buffers for 3 s"
          " (fps: min(flips, pictures the device published) per second;"
          " median of the rounds) ==")
    fmt = "%-9s %-9s %-5s | %8s %8s %5s %9s | %9s %9s %s"
    print(fmt % ("display", "size", "buf", "fps 6.12", "conv", "ratio",
                 "rounds", "MB/s 6.12", "conv", "notes"))
    for k in ordered(stream):
        ro, rn = stream.get((OLD,) + k), stream.get((NEW,) + k)
        fo = med(fps(v) for v in ro) if ro else "-"
        fn = med(fps(v) for v in rn) if rn else "-"
        # 6.12 / converted: frames per second, higher is better
        sp, lo = spread([fps(v) for v in rn or []], [fps(v) for v in ro or []],
                        None)
        if lo is not None and lo > 1.0:
            losses.append("%s %s %s stream: fps 6.12 / converted %s"
                          " (rounds %s)" % (k + (ratio(fo, fn), sp)))
        notes = sorted({"%s: %s" % (lab, v[5]) for lab, rv in ((OLD, ro), (NEW, rn))
                        for v in rv or [] if len(v) > 5 and v[5]})
        print(fmt % (k[0], k[1], k[2], fo, fn,
                     ratio(fo, fn) if ro and rn else "-", sp,
                     med(v[4] for v in ro) if ro else "-",
                     med(v[4] for v in rn) if rn else "-",
                     ", ".join(notes)))
    print("(ratio here: 6.12 / converted, below 1.00 the converted path is faster;"
          " MB/s: bulk bytes the emulated bus and device carried)")

    print()
    print("== A nonblocking flip onto a buffer with an unsignalled vgem fence"
          " (median of the rounds) ==")
    fmt = "%-9s %-9s %-5s | %14s %14s | %18s %18s"
    print(fmt % ("display", "size", "buf", "ioctl ms 6.12", "conv",
                 "shown after signal", "conv"))
    for k in ordered(fence):
        o, n = merged(fence.get((OLD,) + k)), merged(fence.get((NEW,) + k))
        print(fmt % (k[0], k[1], k[2],
                     ms(o[0]) if o else "-", ms(n[0]) if n else "-",
                     ms(o[1]) if o else "-", ms(n[1]) if n else "-"))
    print("(bochs has no fences of its own: its write fence is a vgem fence"
          " imported into the bochs BO's dma-buf with"
          " DMA_BUF_IOCTL_IMPORT_SYNC_FILE; 6.12 cannot import bochs buffers;"
          " vkms has no fenced flip here)")

    print()
    print("== Cells the converted path loses in every one of the %d rounds =="
          % nrounds)
    for line in losses or ["(none)"]:
        print(line)

    if len(sys.argv) > 2:
        out = sys.argv[2]
        for (lab, disp, size, kind, update, clip), rv in upd.items():
            v = merged(rv)
            # the plot: the emulated USB displays' imported vgem buffers
            if kind != "vgem" or update != "dirtyfb" or disp == "vkms" \
                    or ms(v[1]) == "-":
                continue
            w, h = (int(x) for x in size.split("x"))
            with open(os.path.join(out, "area-%s-%s.dat" % (lab, disp)), "a") as f:
                f.write("%d %s\n" % (AREA[clip](w, h), ms(v[1])))


if __name__ == "__main__":
    main()
