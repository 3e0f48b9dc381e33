#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""nlspec: the muisp uAPI generated from its one spec.

    scripts/nlspec.py gen     write every generated file from the spec
    scripts/nlspec.py check   generate into a temporary directory and fail
                              unless the files in the tree are identical

The spec, include/uapi/muisp.yaml, is written in the kernel's YNL format
(Documentation/netlink/specs, protocol genetlink-legacy).  From it come:

    include/uapi/muisp.h              the uAPI header, docs from doc: fields
    kmod/netlink_gen.c, .h            per-op policies, the genl_ops table,
                                      the multicast groups, the prototypes of
                                      the handlers kmod/netlink.c defines
    lib/muisp_nl_gen.h                lib/muisp_nl_codec.c's attribute tables
    tests/vm/scenarios/muisp_uapi.py  numbers and checks for dp-nlbad.py

Only the part of YNL muisp uses is accepted; anything else is an error (a
misspelt key is not silently ignored).  Where this generator goes beyond
the kernel's ynl-gen-c (tools/net/ynl), it says so here:

  - A binary attribute with display-hint hex has checks exact-len only (a
    number or a const's name): userspace stores it in a byte array of that
    length (BYTES() in lib/muisp_nl_gen.h).
  - A binary attribute with display-hint ipv4-or-v6 and checks min-len 4,
    max-len 16 must be exactly 4 or 16 bytes: the kernel policy calls
    muisp_nl_validate_ip() (emitted into netlink_gen.c); userspace stores
    it in a struct muisp_nl_ip.
  - A scalar with enum: (an enum definition) has the enum's MAX as its
    upper bound, rendered by name; with a flags definition, the flags'
    all-mask (the enum-cnt-name of a flags definition with render-max).
  - Enum definitions, attribute sets and the commands render their MAX as
    a #define after the enum (__X_LAST counter, then X_MAX), and the
    command enum starts with <prefix>UNSPEC when no command has value 0.
  - Policies are per op (kernel-policy: per-op) and hold the attributes of
    the do and the dump request together (one genl_ops serves both on
    6.1); the policy array spans the whole attribute set and maxattr is
    the set's MAX, so an attribute of the set the op does not take is
    rejected as unsupported (-EINVAL), as it was before this spec existed.
    Where the do and the dump take different attributes, netlink_gen.c
    wraps the narrower mode's handler (a dump's start) in a check that
    refuses the other mode's attributes, so no mode accepts an attribute
    it would ignore.
  - An op without request attributes gets a policy all the same, one that
    accepts nothing: its maxattr is the set's MAX, as for every other op,
    rather than whatever the genetlink core would apply to an op without
    a policy.
  - A u64 attribute named like a u32 one of its set with "64" appended
    (contract-id64 next to contract-id) is that attribute widened: in
    userspace both fill one u64 member named after the u32 attribute, and
    a request puts the u32 form when the value fits (so it also works with
    a module older than the u64 form), the u64 form otherwise.
  - A multicast group may have flags: [ uns-admin-perm ], as an operation
    may: joining it then needs CAP_NET_ADMIN in the user namespace of the
    socket's network namespace (GENL_MCAST_CAP_NET_ADMIN).
  - The userspace struct of attribute set S is struct muisp_nl_S, with one
    member per attribute named like it (minus, then _); an indexed-array of
    u64 is an array member plus a <name>_present mask.

The kernel build and the userspace build use the committed files and never
run this script.  Python 3 and python3-yaml (Debian), nothing else.
"""
import argparse
import difflib
import os
import pprint
import sys
import tempfile

import yaml

TOP = os.path.normpath(os.path.join(os.path.dirname(__file__), ".."))
SPEC = "include/uapi/muisp.yaml"

UAPI_H = "include/uapi/muisp.h"
KERNEL_C = "kmod/netlink_gen.c"
KERNEL_H = "kmod/netlink_gen.h"
LIB_H = "lib/muisp_nl_gen.h"
TEST_PY = "tests/vm/scenarios/muisp_uapi.py"
OUTPUTS = (UAPI_H, KERNEL_C, KERNEL_H, LIB_H, TEST_PY)

SCALARS = {"u8": 1, "u16": 2, "u32": 4, "u64": 8}


class SpecError(Exception):
    pass


def c_upper(name):
    return name.upper().replace("-", "_")


def c_lower(name):
    return name.lower().replace("-", "_")


def keys_ok(where, obj, allowed, required=()):
    """Refuse keys this generator does not know (a typo must not pass)."""
    if not isinstance(obj, dict):
        raise SpecError("%s: expected a mapping" % where)
    for k in obj:
        if k not in allowed:
            raise SpecError("%s: unknown key '%s'" % (where, k))
    for k in required:
        if k not in obj:
            raise SpecError("%s: '%s' missing" % (where, k))


# ---- the model ------------------------------------------------------------

class Const:
    def __init__(self, fam, y):
        keys_ok("const " + y["name"], y,
                {"type", "name", "name-prefix", "value", "doc"}, ["value"])
        self.name = y["name"]
        self.value = y["value"]
        self.doc = y.get("doc")
        self.c_name = c_upper(y.get("name-prefix", fam.name + "-") +
                              self.name)


class Entry:
    def __init__(self, name, value, c_name, doc):
        self.name, self.value, self.c_name, self.doc = \
            name, value, c_name, doc


class Enum:
    """An enum or flags definition."""

    def __init__(self, fam, y):
        where = "%s %s" % (y["type"], y["name"])
        keys_ok(where, y, {"type", "name", "name-prefix", "enum-name",
                           "doc", "entries", "render-max",
                           "enum-cnt-name"}, ["entries"])
        self.name = y["name"]
        self.flags = y["type"] == "flags"
        self.doc = y.get("doc")
        self.c_enum = c_lower(y.get("enum-name",
                                    fam.name + "-" + self.name))
        prefix = y.get("name-prefix", fam.name + "-" + self.name + "-")
        self.c_prefix = c_upper(prefix)
        self.entries = []
        value = 0
        for e in y["entries"]:
            if isinstance(e, str):
                e = {"name": e}
            keys_ok(where + " entry", e, {"name", "value", "doc"})
            value = e.get("value", value)
            self.entries.append(Entry(e["name"], value,
                                      c_upper(prefix + e["name"]),
                                      e.get("doc")))
            value += 1
        self.render_max = y.get("render-max", False)
        self.cnt_name = None
        self.max_name = None
        if self.render_max:
            self.cnt_name = c_upper(y.get("enum-cnt-name",
                                          "--" + prefix + "max"))
            self.max_name = c_upper(prefix + "max")
        elif "enum-cnt-name" in y:
            raise SpecError(where + ": enum-cnt-name needs render-max")

    def max_value(self):
        return max(e.value for e in self.entries)

    def mask(self):
        m = 0
        for e in self.entries:
            m |= 1 << e.value
        return m


class Attr:
    KEYS = {"name", "type", "doc", "value", "enum", "checks",
            "display-hint", "sub-type"}
    TYPES = {"unused", "pad", "binary", "indexed-array"} | set(SCALARS)

    def __init__(self, fam, aset, y, value):
        where = "attribute %s.%s" % (aset.name, y.get("name"))
        keys_ok(where, y, self.KEYS, ["name", "type"])
        self.fam, self.aset, self.where = fam, aset, where
        self.name = y["name"]
        self.type = y["type"]
        if self.type not in self.TYPES:
            raise SpecError("%s: type %s not supported" % (where, self.type))
        self.value = value
        self.doc = y.get("doc")
        self.c_name = c_upper(aset.prefix + self.name)
        self.member = c_lower(self.name)
        self.enum = y.get("enum")
        self.hint = y.get("display-hint")
        self.sub_type = y.get("sub-type")
        self.narrow = None      # the u32 attribute this one widens
        self.wide = None        # the u64 attribute widening this one
        self.checks = dict(y.get("checks", {}))
        keys_ok(where + " checks", self.checks,
                {"min", "max", "flags-mask", "min-len", "max-len",
                 "exact-len"})

    def resolve(self):
        """Check the attribute against what the generators support."""
        fam, where = self.fam, self.where
        if self.enum is not None and self.enum not in fam.enums:
            raise SpecError("%s: no definition '%s'" % (where, self.enum))
        if self.type in SCALARS:
            for k in ("min-len", "max-len", "exact-len"):
                if k in self.checks:
                    raise SpecError("%s: %s on a scalar" % (where, k))
            mask = self.checks.get("flags-mask")
            if mask is not None and (mask not in fam.enums or
                                     not fam.enums[mask].flags):
                raise SpecError("%s: no flags '%s'" % (where, mask))
            lo, hi = self.limit("min"), self.limit("max")
            if lo is not None and hi is not None and lo > hi:
                raise SpecError("%s: min above max" % where)
            top = (1 << (8 * SCALARS[self.type])) - 1
            if (lo or 0) < 0 or (hi or 0) > top:
                raise SpecError("%s: limit outside %s" % (where, self.type))
        elif self.type == "binary":
            if self.hint == "ipv4-or-v6":
                if self.checks != {"min-len": 4, "max-len": 16}:
                    raise SpecError("%s: ipv4-or-v6 wants checks min-len 4,"
                                    " max-len 16" % where)
            elif self.hint == "mac":
                if self.checks != {"exact-len": 6}:
                    raise SpecError("%s: mac wants checks exact-len 6" %
                                    where)
            elif self.hint == "hex":
                if list(self.checks) != ["exact-len"]:
                    raise SpecError("%s: hex wants checks exact-len only" %
                                    where)
                fam.limit_value(self.checks["exact-len"], where)
            else:
                raise SpecError("%s: binary needs display-hint ipv4-or-v6, "
                                "mac or hex" % where)
        elif self.type == "indexed-array":
            if self.sub_type != "u64" or self.checks:
                raise SpecError("%s: only indexed-array of u64" % where)
        elif self.checks or self.enum:
            raise SpecError("%s: checks on a %s" % (where, self.type))

    # Limits: an integer, a const's name or uNN-min/uNN-max; an enum: makes
    # the enum's MAX the default upper bound.
    def limit(self, which):
        v = self.checks.get(which)
        if v is None and which == "max" and self.enum_def() is not None:
            return self.enum_def().max_value()
        return self.fam.limit_value(v, self.where)

    def limit_c(self, which):
        v = self.checks.get(which)
        if v is None and which == "max" and self.enum_def() is not None:
            return self.enum_def().max_name
        return self.fam.limit_c(v)

    def enum_def(self):
        """The enum definition bounding the value (not a flags one)."""
        d = self.fam.enums.get(self.enum)
        return d if d is not None and not d.flags else None

    def flags_def(self):
        name = self.checks.get("flags-mask")
        if name is None and self.enum in self.fam.enums and \
           self.fam.enums[self.enum].flags:
            name = self.enum
        return self.fam.enums[name] if name else None

    def has_min(self):
        return self.checks.get("min") is not None

    def has_max(self):
        return self.checks.get("max") is not None or \
            self.enum_def() is not None

    def describe(self):
        """The type as the uAPI header's enum comments put it."""
        if self.type in SCALARS:
            s = self.type
            if self.flags_def() is not None:
                s += ", " + self.flags_def().c_prefix + "*"
            elif self.enum_def() is not None:
                s += ", enum " + self.enum_def().c_enum
            return s
        if self.type == "binary":
            if self.hint == "ipv4-or-v6":
                return "binary 4 or 16"
            return "binary %s" % self.fam.limit_c(self.checks["exact-len"])
        if self.type == "indexed-array":
            return "nest"
        return None


class AttrSet:
    def __init__(self, fam, y):
        where = "attribute-set " + y.get("name", "?")
        keys_ok(where, y, {"name", "name-prefix", "enum-name", "doc",
                           "attr-cnt-name", "attr-max-name", "attributes"},
                ["name", "attributes"])
        self.name = y["name"]
        self.doc = y.get("doc")
        self.prefix = y.get("name-prefix",
                            fam.name + "-" + self.name + "-a-")
        self.c_enum = c_lower(y.get("enum-name", fam.name + "-" +
                                    self.name + "-attrs"))
        self.cnt_name = c_upper(y.get("attr-cnt-name",
                                      "--" + self.prefix + "max"))
        self.max_name = c_upper(y.get("attr-max-name", self.prefix + "max"))
        self.attrs = {}
        value = 1
        for a in y["attributes"]:
            value = a.get("value", value)
            attr = Attr(fam, self, a, value)
            if attr.name in self.attrs:
                raise SpecError("%s: %s twice" % (where, attr.name))
            self.attrs[attr.name] = attr
            value += 1
        values = [a.value for a in self.attrs.values()]
        if values != sorted(set(values)):
            raise SpecError(where + ": values must increase")
        if max(values) >= 64:
            raise SpecError(where + ": attribute values must stay below 64 "
                            "(userspace keeps a 64-bit presence mask)")
        for a in self.attrs.values():
            n = self.attrs.get(a.name[:-2]) if a.name.endswith("64") \
                else None
            if n is not None and a.type == "u64" and n.type == "u32":
                a.narrow, n.wide = n, a
        self.struct = "struct muisp_nl_" + c_lower(self.name)

    def max_value(self):
        return max(a.value for a in self.attrs.values())


class Op:
    def __init__(self, fam, y, value):
        where = "operation " + y.get("name", "?")
        keys_ok(where, y, {"name", "doc", "value", "attribute-set",
                           "flags", "do", "dump", "event", "mcgrp"},
                ["name", "doc", "attribute-set"])
        self.name = y["name"]
        self.doc = y["doc"]
        self.value = value
        self.c_name = c_upper(fam.op_prefix + self.name)
        if y["attribute-set"] not in fam.sets:
            raise SpecError("%s: no attribute-set %s" %
                            (where, y["attribute-set"]))
        self.aset = fam.sets[y["attribute-set"]]
        self.flags = y.get("flags", [])
        for f in self.flags:
            if f not in ("admin-perm", "uns-admin-perm"):
                raise SpecError("%s: flag %s" % (where, f))
        self.modes = {}
        for mode in ("do", "dump"):
            if mode in y:
                m = y[mode] or {}
                # genl_ops has start/done for a dump, nothing for a do
                keys_ok("%s %s" % (where, mode), m,
                        {"request", "reply"} |
                        ({"pre", "post"} if mode == "dump" else set()))
                self.modes[mode] = m
        self.event = y.get("event")
        self.mcgrp = y.get("mcgrp")
        if self.event is not None:
            if self.modes:
                raise SpecError(where + ": an event has no do/dump")
            keys_ok(where + " event", self.event, {"attributes"})
            if self.mcgrp not in fam.mcgrp_names:
                raise SpecError(where + ": event without a known mcgrp")
        elif not self.modes:
            raise SpecError(where + ": neither do, dump nor event")
        for lst in self.attr_lists():
            for name in lst:
                if name not in self.aset.attrs:
                    raise SpecError("%s: no attribute %s in %s" %
                                    (where, name, self.aset.name))

    def attr_lists(self):
        for m in self.modes.values():
            for part in ("request", "reply"):
                if part in m:
                    keys_ok("operation %s %s" % (self.name, part), m[part],
                            {"attributes"})
                    yield m[part].get("attributes", [])
        if self.event is not None:
            yield self.event.get("attributes", [])

    def mode_request(self, mode):
        """Attributes one mode (do or dump) takes, in set order."""
        names = set(self.modes[mode].get("request", {}).get("attributes",
                                                             []))
        return [a for a in self.aset.attrs.values() if a.name in names]

    def narrower(self, mode):
        """True if mode takes fewer attributes than the op's policy."""
        return mode in self.modes and \
            len(self.mode_request(mode)) < len(self.policy())

    def policy(self):
        """Attributes the kernel accepts: do and dump requests together."""
        names = set()
        for m in self.modes.values():
            names |= set(m.get("request", {}).get("attributes", []))
        attrs = [a for a in self.aset.attrs.values() if a.name in names]
        for a in attrs:
            if a.type not in SCALARS and a.type != "binary":
                raise SpecError("operation %s: %s cannot be a request "
                                "attribute" % (self.name, a.name))
        return attrs

    def handler(self, mode):
        return c_lower("muisp-nl-%s-%sit" % (self.name, mode))

    def hook(self, mode, which):
        name = self.modes.get(mode, {}).get(which)
        return c_lower(name) if name else None


class Family:
    KEYS = {"name", "protocol", "uapi-header", "doc", "c-family-name",
            "c-version-name", "max-by-define", "kernel-policy",
            "cmd-max-name", "cmd-cnt-name", "version", "definitions",
            "attribute-sets", "operations", "mcast-groups"}

    def __init__(self, y, path):
        keys_ok("spec", y, self.KEYS, ["name", "doc", "attribute-sets",
                                       "operations"])
        if y.get("protocol") != "genetlink-legacy" or \
           y.get("kernel-policy") != "per-op" or \
           y.get("max-by-define") is not True:
            raise SpecError("spec: protocol genetlink-legacy, kernel-policy"
                            " per-op and max-by-define true are what this "
                            "generator renders")
        self.path = path
        self.name = y["name"]
        self.doc = y["doc"]
        self.version = y.get("version", 1)
        self.uapi_header = y.get("uapi-header", "linux/%s.h" % self.name)
        self.c_family_name = c_upper(y.get("c-family-name",
                                           self.name + "-family-name"))
        self.c_version_name = c_upper(y.get("c-version-name",
                                            self.name + "-family-version"))

        self.consts, self.enums, self.defs = {}, {}, []
        for d in y.get("definitions", []):
            if d.get("type") == "const":
                obj = Const(self, d)
                self.consts[obj.name] = obj
            elif d.get("type") in ("enum", "flags"):
                obj = Enum(self, d)
                self.enums[obj.name] = obj
            else:
                raise SpecError("definition %s: type %s not supported" %
                                (d.get("name"), d.get("type")))
            self.defs.append(obj)

        groups = y.get("mcast-groups", {"list": []})
        keys_ok("mcast-groups", groups, {"list"})
        self.mcgrps = []
        self.mcgrp_flags = {}
        for g in groups["list"]:
            keys_ok("mcast group", g, {"name", "c-define-name", "flags"},
                    ["name"])
            self.mcgrps.append((g["name"], c_upper(g.get(
                "c-define-name", self.name + "-mcgrp-" + g["name"]))))
            flags = g.get("flags", [])
            for f in flags:
                if f != "uns-admin-perm":
                    raise SpecError("mcast group %s: flag %s (only "
                                    "uns-admin-perm)" % (g["name"], f))
            self.mcgrp_flags[g["name"]] = list(flags)
        self.mcgrp_names = [g[0] for g in self.mcgrps]

        self.sets = {}
        for s in y["attribute-sets"]:
            aset = AttrSet(self, s)
            self.sets[aset.name] = aset
        for aset in self.sets.values():
            for a in aset.attrs.values():
                a.resolve()

        ops = y["operations"]
        keys_ok("operations", ops, {"enum-name", "name-prefix", "list"},
                ["list"])
        self.op_prefix = ops.get("name-prefix", self.name + "-cmd-")
        self.c_op_enum = c_lower(ops.get("enum-name", self.name + "-cmd"))
        self.cmd_cnt_name = c_upper(y.get("cmd-cnt-name",
                                          "--" + self.op_prefix + "max"))
        self.cmd_max_name = c_upper(y.get("cmd-max-name",
                                          self.op_prefix + "max"))
        self.ops = []
        value = 1
        for o in ops["list"]:
            value = o.get("value", value)
            self.ops.append(Op(self, o, value))
            value += 1
        values = [o.value for o in self.ops]
        if values != sorted(set(values)):
            raise SpecError("operations: values must increase")
        self.kernel_ops = [o for o in self.ops if o.modes]

    def limit_value(self, v, where):
        if v is None or isinstance(v, int):
            return v
        if v in self.consts:
            return self.consts[v].value
        for t, size in SCALARS.items():
            if v == t + "-min":
                return 0
            if v == t + "-max":
                return (1 << (8 * size)) - 1
        raise SpecError("%s: unknown limit %s" % (where, v))

    def limit_c(self, v):
        if isinstance(v, int):
            return str(v)
        if v in self.consts:
            return self.consts[v].c_name
        return c_upper(v)


def load(path):
    with open(path) as f:
        y = yaml.safe_load(f)
    with open(path) as f:
        first = f.readline()
    if not first.startswith("# SPDX-License-Identifier: "):
        raise SpecError("spec: first line must be its SPDX identifier")
    fam = Family(y, os.path.relpath(path, TOP))
    fam.spdx = first[len("# SPDX-License-Identifier: "):].strip()
    return fam


# ---- text helpers ------------------------------------------------------------

def width(s):
    """Display width of one line with 8-column tabs."""
    col = 0
    for ch in s:
        col = (col // 8 + 1) * 8 if ch == "\t" else col + 1
    return col


def pad_to(s, col):
    """s followed by tabs up to column col (a multiple of 8)."""
    w = width(s)
    return s + "\t" * max(1, (col - (w // 8) * 8 + 7) // 8)


def indent_to(col):
    return "\t" * (col // 8) + " " * (col % 8)


def tab_stop_after(widths):
    return (max(widths) // 8 + 1) * 8


def align(rows, col=None):
    """[(left, right)] -> lines, the rights aligned on one tab stop."""
    col = col or tab_stop_after([width(left) for left, _ in rows])
    return [pad_to(left, col) + right for left, right in rows]


def block_comment(text, indent=""):
    lines = text.rstrip("\n").split("\n")
    one = "%s/* %s */" % (indent, lines[0])
    if len(lines) == 1 and width(one) <= 80:
        return [one]
    return [indent + "/*"] + \
        [(indent + " * " + ln).rstrip() for ln in lines] + [indent + " */"]


def c_call(head, args, tail):
    """head(arg, arg...)tail, wrapped at 80 columns under the '('."""
    line = head + "(" + ", ".join(args) + ")" + tail
    if width(line) <= 80:
        return [line]
    out, cur = [], head + "("
    col = width(cur)
    for i, a in enumerate(args):
        piece = a + (", " if i < len(args) - 1 else ")" + tail)
        if cur.strip() and cur[-1] != "(" and \
           width(cur + piece.rstrip()) > 80:
            out.append(cur.rstrip())
            cur = indent_to(col)
        cur += piece
    out.append(cur)
    return out


def banner(fam, open_, close=""):
    return ["%s Do not edit: generated from %s by scripts/nlspec.py;%s" %
            (open_, fam.path, close),
            "%s change the spec and run `make nlspec`.%s" %
            (open_ if open_ == "#" else " *", close)]


# ---- include/uapi/muisp.h ---------------------------------------------------

def enum_block(c_enum, rows, tail, doc=None):
    """rows: [(entry text, comment or None)]; tail: lines after '};'."""
    out = block_comment(doc) if doc else []
    out.append("enum %s {" % c_enum)
    commented = [("\t" + text, c) for text, c in rows if c]
    col = tab_stop_after([width(t) for t, _ in commented]) if commented \
        else 0
    for text, comment in rows:
        line = "\t" + text
        if comment:
            inline = pad_to(line, col) + "/* %s */" % comment
            if width(inline) <= 80:
                line = inline
            else:
                out += block_comment(comment, "\t")
        out.append(line)
    out.append("};")
    return out + tail


def sequential(entries):
    """Rows 'NAME,' or 'NAME = v,' (only where the value jumps)."""
    rows, expect = [], 0
    for name, value, comment in entries:
        text = name + ("," if value == expect else " = %d," % value)
        rows.append((text, comment))
        expect = value + 1
    return rows


def uapi_enum(e):
    if e.flags:
        rows = [("%s = 1U << %d," % (x.c_name, x.value), x.doc)
                for x in e.entries]
        tail = []
        if e.render_max:
            lead = "%s = " % e.cnt_name
            names = [x.c_name for x in e.entries]
            col = width("\t" + lead)
            text = lead + names[0]
            for n in names[1:]:
                text += " |\n" + indent_to(col) + n
            rows.append((text, None))
        return enum_block(e.c_enum, rows, tail, e.doc)
    rows = sequential((x.c_name, x.value, x.doc) for x in e.entries)
    tail = []
    if e.render_max:
        rows.append((e.cnt_name, None))
        tail = ["#define %s (%s - 1)" % (e.max_name, e.cnt_name)]
    return enum_block(e.c_enum, rows, tail, e.doc)


def uapi_attr_set(s):
    entries = []
    for a in s.attrs.values():
        desc = a.describe()
        comment = ", ".join(x for x in (desc, a.doc) if x) or None
        entries.append((a.c_name, a.value, comment))
    rows = sequential(entries) + [(s.cnt_name, None)]
    return enum_block(s.c_enum, rows,
                      ["#define %s (%s - 1)" % (s.max_name, s.cnt_name)],
                      s.doc)


def uapi_ops(fam):
    entries = []
    if all(o.value != 0 for o in fam.ops):
        entries.append((c_upper(fam.op_prefix + "unspec"), 0, None))
    entries += [(o.c_name, o.value, None) for o in fam.ops]
    rows = sequential(entries) + [(fam.cmd_cnt_name, None)]
    return enum_block(fam.c_op_enum, rows,
                      ["#define %s (%s - 1)" %
                       (fam.cmd_max_name, fam.cmd_cnt_name)])


def render_uapi(fam):
    guard = "_" + c_upper(fam.uapi_header.replace("/", "_").
                          replace(".", "_"))
    doc = fam.doc.rstrip("\n").split("\n") + ["", "Commands", "--------"]
    for i, op in enumerate(fam.ops):
        lines = op.doc.rstrip("\n").split("\n")
        if i:
            doc.append("")
        doc.append("%s: %s" % (op.c_name, lines[0]))
        doc += lines[1:]
    out = ["/* SPDX-License-Identifier: %s */" % fam.spdx, "/*"]
    out += banner(fam, " *")
    out.append(" *")
    out += [(" * " + ln).rstrip() for ln in doc]
    out += [" */", "#ifndef " + guard, "#define " + guard, "",
            "#include <linux/types.h>", ""]
    out += align([("#define " + fam.c_family_name, '"%s"' % fam.name),
                  ("#define " + fam.c_version_name, str(fam.version))])
    if fam.mcgrps:
        out.append("")
        out += align([("#define " + c, '"%s"' % n) for n, c in fam.mcgrps])

    # Runs of consts; a const with a doc starts a run under its comment.
    runs = []
    for d in fam.defs:
        if isinstance(d, Const):
            if d.doc or not runs or runs[-1][-1] is None:
                runs.append([d])
            else:
                runs[-1].append(d)
        else:
            runs.append([None])
    for run in runs:
        if run[0] is None:
            continue
        out.append("")
        if run[0].doc:
            out += block_comment(run[0].doc)
        out += align([("#define " + c.c_name, str(c.value)) for c in run])

    out.append("")
    out += uapi_ops(fam)
    for d in fam.defs:
        if isinstance(d, Enum):
            out.append("")
            out += uapi_enum(d)
    for s in fam.sets.values():
        out.append("")
        out += uapi_attr_set(s)
    out += ["", "#endif /* %s */" % guard]
    return "\n".join(out) + "\n"


# ---- kmod/netlink_gen.[ch] ----------------------------------------------------

def range_name(a):
    return c_lower("%s-%s-range" % (a.aset.name, a.name))


def full_range(a):
    lo, hi = a.limit("min"), a.limit("max")
    return (lo or 0) > 32767 or (hi or 0) > 32767


def kernel_policy(a):
    """The nla_policy initializer of one request attribute."""
    if a.type == "binary":
        if a.hint == "ipv4-or-v6":
            return "NLA_POLICY_VALIDATE_FN(NLA_BINARY, muisp_nl_validate_ip," \
                   " %s)" % a.fam.limit_c(a.checks["max-len"])
        return "NLA_POLICY_EXACT_LEN(%s)" % a.fam.limit_c(
            a.checks["exact-len"])
    t = "NLA_" + c_upper(a.type)
    f = a.flags_def()
    if f is not None:
        mask = f.cnt_name if f.render_max else "0x%x" % f.mask()
        return "NLA_POLICY_MASK(%s, %s)" % (t, mask)
    if (a.has_min() or a.has_max()) and full_range(a):
        return "NLA_POLICY_FULL_RANGE(%s, &%s)" % (t, range_name(a))
    if a.has_min() and a.has_max():
        return "NLA_POLICY_RANGE(%s, %s, %s)" % (t, a.limit_c("min"),
                                                 a.limit_c("max"))
    if a.has_min():
        return "NLA_POLICY_MIN(%s, %s)" % (t, a.limit_c("min"))
    if a.has_max():
        return "NLA_POLICY_MAX(%s, %s)" % (t, a.limit_c("max"))
    return "{ .type = %s, }" % t


def policy_name(op):
    return c_lower("muisp-%s-nl-policy" % op.name)


def checked_name(op, mode):
    return c_lower("muisp-nl-%s-%s-%s" % (op.name, mode,
                                          "checked" if mode == "do"
                                          else "start"))


def mask_c(attrs):
    if not attrs:
        return "0"
    return " | ".join("BIT_ULL(%s)" % a.c_name for a in attrs)


def mode_checks(op):
    """The wrapper of a mode that takes less than the op's policy."""
    out = []
    for mode in ("do", "dump"):
        if not op.narrower(mode):
            continue
        ok = mask_c(op.mode_request(mode))
        if mode == "do":
            head = c_call("static int " + checked_name(op, mode),
                          ["struct sk_buff *skb", "struct genl_info *info"],
                          "")
            tb, ack = "info->attrs", "info->extack"
            why = "false"
            tail = "\treturn %s(skb, info);" % op.handler("do")
        else:
            head = c_call("static int " + checked_name(op, mode),
                          ["struct netlink_callback *cb"], "")
            tb, ack = "MUISP_DUMP_ATTRS(cb)", "cb->extack"
            why = "true"
            pre = op.hook("dump", "pre")
            tail = "\treturn %s(cb);" % pre if pre else None
        args = [tb, op.aset.max_name, ok, why, ack]
        if tail is None:
            out += [""] + head + ["{"] + \
                c_call("\treturn muisp_nl_only", args, ";") + ["}"]
            continue
        out += [""] + head + ["{", "\tint ret;", ""] + \
            c_call("\tret = muisp_nl_only", args, ";") + \
            ["\tif (ret)", "\t\treturn ret;", tail, "}"]
    return out


KERNEL_C_HEAD = """\
 *
 * The family's per-op attribute policies, its genl_ops table and its
 * multicast groups.  kmod/netlink.c defines the handlers and the
 * struct genl_family that uses these.
 */
#include <net/netlink.h>
#include <net/genetlink.h>

#include "compat.h"
#include "netlink_gen.h"
"""

ONLY = """
/*
 * An op's policy holds what its do and its dump take together; a mode
 * that takes less refuses the rest here instead of ignoring it.
 */
static int muisp_nl_only(struct nlattr **tb, unsigned int maxattr, u64 ok,
\t\t\t bool dump, struct netlink_ext_ack *extack)
{
\tunsigned int i;

\tfor (i = 1; tb && i <= maxattr; i++) {
\t\tif (!tb[i] || (ok & BIT_ULL(i)))
\t\t\tcontinue;
\t\tif (dump)
\t\t\tNL_SET_ERR_MSG_ATTR(extack, tb[i],
\t\t\t\t\t    "not accepted with NLM_F_DUMP");
\t\telse
\t\t\tNL_SET_ERR_MSG_ATTR(extack, tb[i],
\t\t\t\t\t    "only accepted with NLM_F_DUMP");
\t\treturn -EINVAL;
\t}
\treturn 0;
}"""

VALIDATE_IP = """
/* display-hint ipv4-or-v6: an IPv4 or an IPv6 address, nothing else */
static int muisp_nl_validate_ip(const struct nlattr *attr,
\t\t\t\tstruct netlink_ext_ack *extack)
{
\tif (nla_len(attr) != 4 && nla_len(attr) != 16) {
\t\tNL_SET_ERR_MSG_ATTR(extack, attr,
\t\t\t\t    "address must be 4 (IPv4) or 16 (IPv6) bytes");
\t\treturn -EINVAL;
\t}
\treturn 0;
}"""


def render_kernel_c(fam):
    out = ["// SPDX-License-Identifier: GPL-2.0", "/*"]
    out += banner(fam, " *") + KERNEL_C_HEAD.rstrip("\n").split("\n")
    request = {}
    for op in fam.kernel_ops:
        for a in op.policy():
            request[(a.aset.name, a.name)] = a

    if any(a.hint == "ipv4-or-v6" for a in request.values()):
        out += VALIDATE_IP.split("\n")

    for a in request.values():
        if a.type in SCALARS and a.flags_def() is None and \
           (a.has_min() or a.has_max()) and full_range(a):
            # not const: 6.1's struct nla_policy points to a mutable one
            out += ["", "static struct netlink_range_validation %s = {" %
                    range_name(a)]
            if a.has_min():
                out.append("\t.min = %s," % a.limit_c("min"))
            if a.has_max():
                out.append("\t.max = %s," % a.limit_c("max"))
            out.append("};")

    for op in fam.kernel_ops:
        attrs = op.policy()
        out += ["", "/* %s%s */" % (op.c_name, "" if attrs else
                                    ": takes no attribute"),
                "static const struct nla_policy %s[%s + 1] = {" %
                (policy_name(op), op.aset.max_name)]
        if width(out[-1]) > 80:
            out[-1:] = ["static const struct nla_policy",
                        "%s[%s + 1] = {" % (policy_name(op), op.aset.max_name)]
        if not attrs:
            out[-1] += " };"
            continue
        for a in attrs:
            line = "\t[%s] = %s," % (a.c_name, kernel_policy(a))
            if width(line) > 80:
                line = "\t[%s] =\n\t\t%s," % (a.c_name, kernel_policy(a))
            out.append(line)
        out.append("};")

    if any(op.narrower(m) for op in fam.kernel_ops for m in op.modes):
        out += ONLY.split("\n")
    for op in fam.kernel_ops:
        out += mode_checks(op)

    out += ["", "const struct genl_ops muisp_nl_ops[%d] = {" %
            len(fam.kernel_ops)]
    for op in fam.kernel_ops:
        members = [("cmd", op.c_name)]
        if "do" in op.modes:
            members.append(("doit", checked_name(op, "do")
                            if op.narrower("do") else op.handler("do")))
        if "dump" in op.modes:
            if op.narrower("dump"):
                members.append(("start", checked_name(op, "dump")))
            elif op.hook("dump", "pre"):
                members.append(("start", op.hook("dump", "pre")))
            members.append(("dumpit", op.handler("dump")))
            if op.hook("dump", "post"):
                members.append(("done", op.hook("dump", "post")))
        members += [("policy", policy_name(op)),
                    ("maxattr", op.aset.max_name)]
        if op.flags:
            members.append(("flags", " | ".join(c_upper("genl-" + f)
                                                for f in op.flags)))
        out.append("\t{")
        # every op aligned alike: on the tab stop after ".maxattr"
        out += ["\t\t" + ln for ln in align([("." + k, "= " + v + ",")
                                             for k, v in members], 16)]
        out.append("\t},")
    out.append("};")

    if fam.mcgrps:
        out += ["", "const struct genl_multicast_group muisp_nl_mcgrps[%d] "
                "= {" % len(fam.mcgrps)]
        for name, c in fam.mcgrps:
            flags = fam.mcgrp_flags[name]
            if not flags:
                out.append("\t[%s] = { .name = %s, }," %
                           (c_upper("muisp-nlgrp-" + name), c))
                continue
            out += ["\t[%s] = {" % c_upper("muisp-nlgrp-" + name)]
            out += ["\t\t" + ln for ln in align(
                [(".name", "= %s," % c),
                 (".flags", "= GENL_MCAST_CAP_NET_ADMIN,")], 16)]
            out.append("\t},")
        out.append("};")
    return "\n".join(out) + "\n"


def render_kernel_h(fam):
    out = ["/* SPDX-License-Identifier: GPL-2.0 */", "/*"]
    out += banner(fam, " *")
    out += [" */", "#ifndef MUISP_NETLINK_GEN_H", "#define MUISP_NETLINK_GEN_H",
            "", "#include <net/netlink.h>", "#include <net/genetlink.h>", "",
            "#include <%s>" % fam.uapi_header, "",
            "extern const struct genl_ops muisp_nl_ops[%d];" %
            len(fam.kernel_ops)]
    if fam.mcgrps:
        out += ["", "enum {"]
        out += ["\t%s," % c_upper("muisp-nlgrp-" + n) for n, _ in fam.mcgrps]
        out += ["};", "",
                "extern const struct genl_multicast_group muisp_nl_mcgrps[%d];"
                % len(fam.mcgrps)]
    hooks = []
    for op in fam.kernel_ops:
        for which in ("pre", "post"):
            if op.hook("dump", which):
                hooks += c_call("int " + op.hook("dump", which),
                                ["struct netlink_callback *cb"], ";")
    if hooks:
        out += [""] + hooks
    out.append("")
    for op in fam.kernel_ops:
        if "do" in op.modes:
            out += c_call("int " + op.handler("do"),
                          ["struct sk_buff *skb", "struct genl_info *info"],
                          ";")
        if "dump" in op.modes:
            out += c_call("int " + op.handler("dump"),
                          ["struct sk_buff *skb",
                           "struct netlink_callback *cb"], ";")
    out += ["", "#endif /* MUISP_NETLINK_GEN_H */"]
    return "\n".join(out) + "\n"


# ---- lib/muisp_nl_gen.h -------------------------------------------------------

def lib_field(a):
    """(initializer, [(member, size)]) of one attribute, or None."""
    st = a.aset.struct
    if a.wide is not None:
        return ("WIDE(K_W32, %s, %s, %s)" % (st, a.member, a.wide.c_name),
                [(a.member, "8")])
    if a.narrow is not None:
        return ("WIDE(K_W64, %s, %s, %s)" % (st, a.narrow.member,
                                             a.narrow.c_name), [])
    if a.type in SCALARS:
        return ("FIELD(K_%s, %s, %s)" % (a.type.upper(), st, a.member),
                [(a.member, str(SCALARS[a.type]))])
    if a.type == "binary" and a.hint == "ipv4-or-v6":
        return ("FIELD(K_IP, %s, %s)" % (st, a.member),
                [(a.member, "sizeof(struct muisp_nl_ip)")])
    if a.type == "binary" and a.hint == "mac":
        return ("FIELD(K_MAC, %s, %s)" % (st, a.member), [(a.member, "6")])
    if a.type == "binary" and a.hint == "hex":
        n = a.fam.limit_c(a.checks["exact-len"])
        return ("BYTES(%s, %s, %s)" % (st, a.member, n), [(a.member, n)])
    if a.type == "indexed-array":
        return ("COUNTERS(%s, %s, %s_present)" % (st, a.member, a.member),
                [(a.member + "[0]", "8"), (a.member + "_present", "8")])
    return None


LIB_H_HEAD = """\
 *
 * The attribute tables of lib/muisp_nl_codec.c, its only includer (which
 * defines struct field, the K_* kinds, FIELD(), WIDE(), COUNTERS() and
 * SIZE_IS()): one table per attribute set, indexed by attribute type,
 * giving each attribute's kind and its member of struct muisp_nl_<set>
 * (lib/muisp_nl.h).  unspec and pad stay K_NONE: skipped.  A u32
 * attribute and its u64 widening (WIDE) share one u64 member.
 */"""


def render_lib_h(fam):
    out = ["/* SPDX-License-Identifier: GPL-2.0 */", "/*"]
    out += banner(fam, " *") + LIB_H_HEAD.split("\n")
    for s in fam.sets.values():
        out += ["", "/* %s: %s */" % (s.name, s.struct),
                "static const struct field %s_f[%s + 1] = {" %
                (c_lower(s.name), s.max_name)]
        sizes = []
        for a in s.attrs.values():
            f = lib_field(a)
            if f is None:
                continue
            line = "\t[%s] = %s," % (a.c_name, f[0])
            if width(line) > 80 and width("\t\t%s," % f[0]) > 80:
                # as clang-format wraps it: the arguments under the "("
                macro, args = f[0][:-1].split("(", 1)
                line = "\n".join(c_call("\t[%s] = %s" % (a.c_name, macro),
                                        args.split(", "), ","))
            elif width(line) > 80:
                line = "\t[%s] =\n\t\t%s," % (a.c_name, f[0])
            out.append(line)
            sizes += f[1]
        out.append("};")
        out += ["SIZE_IS(%s, %s, %s);" % (s.struct, m, n) for m, n in sizes]
    return "\n".join(out) + "\n"


# ---- tests/vm/scenarios/muisp_uapi.py ----------------------------------------

def py_attr(a):
    d = {"value": a.value, "c_name": a.c_name, "type": a.type}
    if a.narrow is not None:
        d["widens"] = a.narrow.name
    if a.type in SCALARS:
        f = a.flags_def()
        if f is not None:
            d["mask"] = f.mask()
        else:
            if a.has_min():
                d["min"] = a.limit("min")
            if a.has_max():
                d["max"] = a.limit("max")
    elif a.type == "binary":
        if a.hint == "ipv4-or-v6":
            d["lengths"] = [4, 16]
            d["max-len"] = a.fam.limit_value(a.checks["max-len"], a.where)
        else:
            n = a.fam.limit_value(a.checks["exact-len"], a.where)
            d["lengths"] = [n]
            d["exact-len"] = n
    return d


PY_BODY = '''"""The muisp family as its spec describes it, for the VM tests
(dp-nlbad.py): numbers, the attributes each command accepts and
the checks the kernel applies to them."""

FAMILY = '{family}'
VERSION = {version}
MCGRPS = {mcgrps}
# Multicast group -> its flags (uns-admin-perm: CAP_NET_ADMIN to join).
MCGRP_FLAGS = {mcgrp_flags}

# C enum name -> {{C name: value}}: commands, definitions, attribute sets.
ENUMS = {enums}

# Attribute sets: every attribute's number, type and checks (min, max,
# mask, accepted lengths).
ATTR_SETS = {sets}

# Commands the kernel serves: handlers, permission flags, the attributes
# of their policy (all others are refused) and those each mode (do, dump)
# takes (the others of the policy are refused in that mode).
OPS = {ops}'''


def pf(v):
    return pprint.pformat(v, width=79, sort_dicts=False)


def render_py(fam):
    enums = {}
    cmd = {}
    if all(o.value != 0 for o in fam.ops):
        cmd[c_upper(fam.op_prefix + "unspec")] = 0
    cmd.update((o.c_name, o.value) for o in fam.ops)
    enums[fam.c_op_enum] = cmd
    for d in fam.defs:
        if isinstance(d, Enum):
            enums[d.c_enum] = {x.c_name: (1 << x.value if d.flags
                                          else x.value)
                               for x in d.entries}
    for s in fam.sets.values():
        enums[s.c_enum] = {a.c_name: a.value for a in s.attrs.values()}
    sets = {s.name: {"enum": s.c_enum, "max": s.max_value(),
                     "attrs": {a.name: py_attr(a)
                               for a in s.attrs.values()}}
            for s in fam.sets.values()}
    ops = {}
    for op in fam.kernel_ops:
        ops[op.name] = {"cmd": op.value, "set": op.aset.name,
                        "do": "do" in op.modes, "dump": "dump" in op.modes,
                        "flags": list(op.flags),
                        "policy": [a.name for a in op.policy()]}
        for mode in op.modes:
            ops[op.name][mode + "-request"] = \
                [a.name for a in op.mode_request(mode)]
    out = ["# SPDX-License-Identifier: GPL-2.0"] + banner(fam, "#")
    out += PY_BODY.format(
        family=fam.name, version=fam.version, mcgrps=pf(fam.mcgrp_names),
        mcgrp_flags=pf(fam.mcgrp_flags),
        enums=pf(enums), sets=pf(sets), ops=pf(ops)).split("\n")
    return "\n".join(out) + "\n"


# ---- modes ---------------------------------------------------------------------

RENDER = {UAPI_H: render_uapi, KERNEL_C: render_kernel_c,
          KERNEL_H: render_kernel_h, LIB_H: render_lib_h, TEST_PY: render_py}


def generate(fam, outdir):
    for rel in OUTPUTS:
        path = os.path.join(outdir, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(RENDER[rel](fam))


def check(fam):
    passed = failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        generate(fam, tmp)
        for rel in OUTPUTS:
            with open(os.path.join(tmp, rel)) as f:
                want = f.read()
            try:
                with open(os.path.join(TOP, rel)) as f:
                    have = f.read()
            except FileNotFoundError:
                have = ""
            if have == want:
                print("  ok   %s" % rel)
                passed += 1
                continue
            print("  FAIL %s differs from %s (run `make nlspec`)" %
                  (rel, fam.path))
            diff = list(difflib.unified_diff(
                have.splitlines(), want.splitlines(),
                "a/" + rel, "b/" + rel + " (generated)", lineterm=""))
            for ln in diff[:40]:
                print("    | " + ln)
            if len(diff) > 40:
                print("    | ... %d more lines" % (len(diff) - 40))
            failed += 1
    return passed, failed


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("mode", choices=["gen", "check"])
    ap.add_argument("--spec", default=os.path.join(TOP, SPEC))
    ap.add_argument("--out", default=TOP,
                    help="gen: write under this directory (default: tree)")
    args = ap.parse_args()
    try:
        fam = load(args.spec)
    except (SpecError, yaml.YAMLError, OSError) as e:
        print("nlspec: %s: %s" % (args.spec, e), file=sys.stderr)
        if args.mode == "check":
            print("nlspec: 0 passed, 1 failed")
        return 1
    if args.mode == "gen":
        generate(fam, args.out)
        return 0
    passed, failed = check(fam)
    # the spec itself loaded and resolved: one more check passed
    print("nlspec: %d passed, %d failed" % (passed + 1, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
