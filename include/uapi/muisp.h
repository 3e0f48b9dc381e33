/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * Do not edit: generated from include/uapi/muisp.yaml by scripts/nlspec.py;
 * change the spec and run `make nlspec`.
 *
 * muisp: generic netlink interface of the muisp.ko access gate.
 *
 * Copyright (C) 2026 muisp developers.
 *
 * Family and versioning
 * ---------------------
 * The generic netlink family is MUISP_GENL_NAME ("muisp"), version
 * MUISP_GENL_VERSION.  All state (addresses, contracts, flows, lists,
 * configuration, statistics) is per network namespace: a request acts on
 * the namespace of the netlink socket that sent it.  Every command that
 * changes state requires CAP_NET_ADMIN in the user namespace owning that
 * network namespace (GENL_UNS_ADMIN_PERM); GET and dump requests that only
 * read state need it too (usage records are private).  Unprivileged callers
 * get -EPERM and nothing changes.  Joining a multicast group ("events",
 * "flows") needs the same capability (GENL_MCAST_CAP_NET_ADMIN): the
 * bind or NETLINK_ADD_MEMBERSHIP of an unprivileged socket fails with
 * -EPERM.
 *
 * Limits
 * ------
 * Per network namespace, the tables hold at most MUISP_MAX_ADDRS
 * addresses, MUISP_MAX_CONTRACTS contracts, MUISP_MAX_GARDEN walled-garden
 * entries, MUISP_MAX_BLOCKS block-list entries, MUISP_MAX_AGENTS agents
 * and MUISP_MAX_USERS user bindings; an add beyond that fails with
 * -ENOSPC.  A caller without
 * CAP_NET_ADMIN in the initial user namespace (the root of a container's
 * user namespace) is held to the smaller MUISP_USERNS_MAX_* values for
 * the tables and for MUISP_CONFIG_A_MAX_FLOWS (-EPERM above it).  The flow table and the
 * DNS rate limiter exist only while a LAN interface is configured
 * (MUISP_CONFIG_A_LAN_IFINDEX), and the module's memory is charged to the
 * memory cgroup of the process that made the request (flow entries: of
 * the one that configured the LAN interface).
 *
 * This header is append-only: commands, attributes, enum values and flags
 * are never renumbered or removed; new ones are added before the __*_LAST
 * markers.  Userspace must ignore attributes it does not know.
 *
 * Message layout
 * --------------
 * Each command has its own attribute space, used at the top level of the
 * message right after the genlmsghdr (there is no outer nest):
 *
 *   MUISP_CMD_ADDR_*      enum muisp_addr_attr      (MUISP_ADDR_A_*)
 *   MUISP_CMD_CONTRACT_*  enum muisp_contract_attr  (MUISP_CONTRACT_A_*)
 *   MUISP_CMD_FLOW_*      enum muisp_flow_attr      (MUISP_FLOW_A_*)
 *   MUISP_CMD_FLOW_RECORD enum muisp_flow_attr      (multicast "flows")
 *   MUISP_CMD_GARDEN_*    enum muisp_garden_attr    (MUISP_GARDEN_A_*)
 *   MUISP_CMD_BLOCK_*     enum muisp_block_attr     (MUISP_BLOCK_A_*)
 *   MUISP_CMD_CONFIG_*    enum muisp_config_attr    (MUISP_CONFIG_A_*)
 *   MUISP_CMD_STATS_GET   enum muisp_stats_attr     (MUISP_STATS_A_*)
 *   MUISP_CMD_EVENT       enum muisp_event_attr     (multicast "events")
 *   MUISP_CMD_AGENT_*     enum muisp_agent_attr     (MUISP_AGENT_A_*)
 *   MUISP_CMD_USER_*      enum muisp_user_attr      (MUISP_USER_A_*)
 *   MUISP_CMD_TAG_*       enum muisp_tag_attr       (MUISP_TAG_A_*)
 *   MUISP_CMD_TAG_USER_*  enum muisp_tag_user_attr  (MUISP_TAG_USER_A_*)
 *
 * Every request is validated strictly against the command's policy:
 * unknown attributes, attributes of the wrong type or length, values out
 * of range and unknown flag bits are rejected with -EINVAL (or -ERANGE for
 * out-of-range values), and the kernel's extended ACK names the offending
 * attribute (NLMSGERR_ATTR_OFFS) or the missing one (NLMSGERR_ATTR_MISS_*)
 * with a text message.  A rejected request changes nothing.  Unknown
 * commands: -EOPNOTSUPP.
 *
 * Conventions:
 *  - IP addresses are NLA_BINARY of exactly 4 bytes (IPv4) or 16 bytes
 *    (IPv6), network byte order; the length selects the family.
 *  - Prefixes are an address attribute plus a prefix length (u8, at most
 *    32 or 128); address bits beyond the prefix length must be zero
 *    (-EINVAL otherwise).
 *  - Ports and ICMP identifiers are NLA_U16 in host byte order.
 *  - NLA_U64 attributes are 64-bit aligned with the space's *_A_PAD
 *    attribute (nla_put_u64_64bit); readers just skip *_A_PAD.
 *  - Attribute names carry their unit: *_S seconds, *_MS milliseconds.
 *    Absolute times (*_EXPIRES_S, *_FIRST_MS, *_LAST_MS, *_TIME_MS) are
 *    CLOCK_REALTIME since the Unix epoch; durations are plain counts.
 *    An expiry of 0 means "never".
 *  - Bytes are layer-3 bytes: the whole IP datagram (IPv4 total length,
 *    or IPv6 payload length + 40), no link-layer header.
 *  - "up" is client (LAN) -> WAN, "down" is WAN -> client.
 *  - Contract ids are 64-bit (the receipt's serial).  Each attribute that
 *    carries one has two forms: the original u32 one (*_CONTRACT_ID,
 *    MUISP_CONTRACT_A_ID) and its u64 widening, the same name with 64
 *    appended (*_CONTRACT_ID64, MUISP_CONTRACT_A_ID64).  A request gives
 *    one of the two (both: -EINVAL); the u32 form names ids below 2^32
 *    only.  Replies and events always carry the u64 form, and the u32
 *    form too when the id is below 2^32, so a reader that knows only the
 *    u32 form sees every contract it can name.  A 32-bit kernel refuses
 *    ids of 2^32 and above (-ERANGE).
 *
 * Dumps
 * -----
 * A GET with NLM_F_REQUEST | NLM_F_DUMP returns every object (optionally
 * filtered) as a series of messages with NLM_F_MULTI, each holding one
 * object, ending with NLMSG_DONE.  Dumps are resumable across any number of
 * recvmsg() buffers: the kernel resumes from a stable object id, never from
 * a pointer.  Address, contract, garden and block-list dumps set
 * nlmsg_seq-based consistency: if the table changed while the dump was in
 * progress, the messages after the change carry NLM_F_DUMP_INTR and the
 * caller should discard what it got and dump again (wireguard-tools
 * style: treat it as EINTR and retry).  Flow dumps are not checked this way
 * (flows change with every packet); they deliver every flow that lives for
 * the whole dump exactly once.
 *
 * Commands
 * --------
 * MUISP_CMD_ADDR_SET: NLM_F_REQUEST [| NLM_F_ACK]
 *   Create or replace the entry of one client address on the LAN.
 *     MUISP_ADDR_A_ADDR: binary 4 or 16, required
 *     MUISP_ADDR_A_STATE: u8, enum muisp_addr_state (not UNSPEC), required
 *     MUISP_ADDR_A_CONTRACT_ID: u32, or MUISP_ADDR_A_CONTRACT_ID64: u64,
 *       required iff STATE is BOUND; the contract must exist (-ENOENT).
 *       Several addresses (e.g. a dual-stack client's IPv4 and IPv6
 *       addresses) may be bound to one contract.
 *     MUISP_ADDR_A_MAC: binary 6, optional, the lease's hardware address
 *       (informational; reported back in GET)
 *     Tunnel identity (the IPsec SA that authenticates the address; see
 *     MUISP_CONFIG_A_REQUIRE_TUNNEL).  If XFRM_SPI is absent, the entry
 *     keeps the identity it had (so the DHCP server and the contract daemon
 *     can change the state without knowing it); XFRM_SPI 0 clears it.
 *     MUISP_ADDR_A_XFRM_SPI: u32, the inbound SPI (host order) of the
 *       address's current SA on this router
 *     MUISP_ADDR_A_XFRM_SPI_PREV: u32, optional, the inbound SPI of the SA
 *       a rekey is replacing (0 = none); packets on either SA pass
 *     MUISP_ADDR_A_XFRM_PROTO: u8, IPPROTO_AH (51) or IPPROTO_ESP (50),
 *       required with a non-zero XFRM_SPI
 *     MUISP_ADDR_A_XFRM_REQID: u32, optional extra check: the SA's reqid
 *     MUISP_ADDR_A_XFRM_IF_ID: u32, optional extra check: the SA's if_id
 *     REQID, IF_ID, SPI_PREV and PROTO without a non-zero SPI: -EINVAL.
 *     MUISP_ADDR_A_FLAGS: u32, optional, MUISP_ADDR_F_*:
 *       MUISP_ADDR_F_EXCL: fail with -EEXIST if the address exists.
 *   With REQUIRE_TUNNEL on, STATE BOUND needs a tunnel identity (given or
 *   kept): -EPERM otherwise.  A new address beyond MUISP_MAX_ADDRS (see
 *   Limits): -ENOSPC.
 *   A state change emits MUISP_EVENT_ADDR_STATE.  A change of the
 *   binding (contract, BOUND or not, tunnel identity or none) takes
 *   effect at once: the address's flows end before the reply, with
 *   reason REBIND if it is bound to another contract, else FLUSH (see
 *   MUISP_FLOW_END_*).
 *
 * MUISP_CMD_ADDR_GET: NLM_F_REQUEST, or NLM_F_REQUEST | NLM_F_DUMP
 *   Without NLM_F_DUMP: MUISP_ADDR_A_ADDR required; -ENOENT if unknown.
 *   With NLM_F_DUMP: no attributes; every address.  Each reply carries:
 *     MUISP_ADDR_A_ID: u32, stable id (creation order, never reused
 *       while the entry exists)
 *     MUISP_ADDR_A_ADDR, MUISP_ADDR_A_STATE
 *     MUISP_ADDR_A_CONTRACT_ID64: u64 (0 if not bound), and
 *       MUISP_ADDR_A_CONTRACT_ID: u32 when it is below 2^32
 *     MUISP_ADDR_A_CONTRACT_STATUS: u8, enum muisp_contract_status of
 *       the bound contract (absent if not bound)
 *     MUISP_ADDR_A_MAC, MUISP_ADDR_A_XFRM_SPI, _SPI_PREV, _PROTO, _REQID,
 *       _IF_ID: if set
 *
 * MUISP_CMD_ADDR_DEL: NLM_F_REQUEST [| NLM_F_ACK]
 *     MUISP_ADDR_A_ADDR: required; -ENOENT if unknown.
 *   Removes the entry (the address becomes unknown, which the gate treats
 *   like UNALLOCATED) and emits MUISP_EVENT_ADDR_STATE with new state
 *   UNSPEC.
 *
 * MUISP_CMD_CONTRACT_SET: NLM_F_REQUEST [| NLM_F_ACK]
 *   Create or update a contract.
 *     MUISP_CONTRACT_A_ID: u32, or MUISP_CONTRACT_A_ID64: u64, non-zero,
 *       required (the receipt's serial)
 *     MUISP_CONTRACT_A_METRIC: u8, enum muisp_metric, required on create;
 *       on update it must equal the current metric (-EINVAL)
 *     MUISP_CONTRACT_A_STATUS: u8, ACTIVE, SUSPENDED or DELINQUENT,
 *       optional (default SUSPENDED on create, unchanged on update).
 *       ACTIVE is refused with -ERANGE when the usage already reaches the
 *       soft or the hard limit or the contract has expired (extend the
 *       limit or the expiry in the same request).  EXTINGUISHED is set
 *       only by the kernel and cannot be requested (-EINVAL); an
 *       extinguished contract is revived only by a request that sets
 *       STATUS and whose limits and expiry then admit it.
 *     MUISP_CONTRACT_A_SOFT_LIMIT: u64, in metric units (bytes, packets
 *       or milliseconds), 0 = none
 *     MUISP_CONTRACT_A_HARD_LIMIT: u64, likewise, 0 = none; a non-zero
 *       soft limit must not exceed a non-zero hard limit (-EINVAL)
 *     MUISP_CONTRACT_A_EXPIRES_S: u64, CLOCK_REALTIME seconds, 0 = never
 *     MUISP_CONTRACT_A_UP_BYTES, _UP_PACKETS, _DOWN_BYTES, _DOWN_PACKETS,
 *     MUISP_CONTRACT_A_ELAPSED_MS, _USAGE_MS: u64, optional, restore the
 *       accumulated usage (e.g. after a daemon restart)
 *     MUISP_CONTRACT_A_FLAGS: u32, optional, MUISP_CONTRACT_F_*:
 *       MUISP_CONTRACT_F_EXCL: -EEXIST if the contract exists
 *       MUISP_CONTRACT_F_RESET_USAGE: zero all usage counters first
 *   A new contract beyond MUISP_MAX_CONTRACTS (see Limits): -ENOSPC.
 *   Metering (seed section 7): elapsed time and usage time are charged
 *   only while ACTIVE.  Elapsed time is wall time spent ACTIVE.  Usage
 *   time is the sum of the gaps between consecutive forwarded packets of
 *   the contract, each gap counted only if shorter than
 *   MUISP_CONFIG_A_USAGE_GAP_S.  Bytes and packets count both directions.
 *   The metric's value is "used" (MUISP_CONTRACT_A_USED).  In the packet
 *   path, atomically per packet:
 *    - a packet that would take "used" past the hard limit is dropped and
 *      the contract becomes EXTINGUISHED (MUISP_EVENT_HARD_LIMIT), so a
 *      hard limit is never exceeded; reaching it exactly also
 *      extinguishes the contract after that packet;
 *    - the packet that takes "used" to or past the soft limit is
 *      forwarded, then the contract becomes DELINQUENT
 *      (MUISP_EVENT_SOFT_LIMIT) and forwards nothing until a CONTRACT_SET
 *      raises the soft limit and sets STATUS ACTIVE ("extend");
 *    - at the expiry the contract becomes EXTINGUISHED
 *      (MUISP_EVENT_EXPIRED).
 *   Time limits and expiry are also checked by a once-a-second timer, so
 *   the events arrive without traffic.
 *
 * MUISP_CMD_CONTRACT_GET: NLM_F_REQUEST, or NLM_F_REQUEST | NLM_F_DUMP
 *   Without NLM_F_DUMP: MUISP_CONTRACT_A_ID or _ID64 required
 *   (-ENOENT if unknown).
 *   With NLM_F_DUMP: no attributes; every contract, ordered by id.  Each
 *   reply carries ID64 (and ID below 2^32), STATUS, METRIC, SOFT_LIMIT,
 *   HARD_LIMIT, EXPIRES_S, USED, UP_BYTES, UP_PACKETS, DOWN_BYTES,
 *   DOWN_PACKETS, ELAPSED_MS, USAGE_MS, NADDRS (u32, addresses bound
 *   to it), NUSERS (u32, users bound to it: MUISP_CMD_USER_SET),
 *   and CONN_HOLD and CONN_QUEUE for a per-connection contract.
 *
 * MUISP_CMD_CONTRACT_DEL: NLM_F_REQUEST [| NLM_F_ACK]
 *     MUISP_CONTRACT_A_ID or _ID64: required; -ENOENT if unknown,
 *       -EBUSY while an address is bound to it (unbind the addresses
 *       first).
 *   Its live flows end with reason FLUSH (records are multicast).
 *
 * MUISP_CMD_FLOW_GET: NLM_F_REQUEST | NLM_F_DUMP
 *   Dump live flows.  Optional filters (both may be given):
 *     MUISP_FLOW_A_CLIENT_ADDR: only flows of this LAN client address
 *     MUISP_FLOW_A_CONTRACT_ID or _CONTRACT_ID64: only flows charged to
 *       this contract
 *   Each reply carries the flow attributes of MUISP_CMD_FLOW_RECORD
 *   except END_REASON and SEQ.  A GET without NLM_F_DUMP is
 *   -EOPNOTSUPP.
 *
 * MUISP_CMD_FLOW_DEL: NLM_F_REQUEST [| NLM_F_ACK]
 *     MUISP_FLOW_A_CONTRACT_ID: u32, or MUISP_FLOW_A_CONTRACT_ID64: u64,
 *       required; 0 means all flows.
 *   Ends the flows now (reason FLUSH); their records are multicast.
 *
 * MUISP_CMD_FLOW_RECORD: multicast on group MUISP_GENL_MCGRP_FLOWS only
 *   One message per ended flow (the thesis's RDR fields):
 *     MUISP_FLOW_A_ID: u64, flow id (unique per namespace while loaded)
 *     MUISP_FLOW_A_CLIENT_ADDR, MUISP_FLOW_A_PEER_ADDR: binary 4 or 16
 *     MUISP_FLOW_A_PROTO: u8, IPPROTO_*
 *     MUISP_FLOW_A_CLIENT_PORT, MUISP_FLOW_A_PEER_PORT: u16; for ICMP
 *       and ICMPv6 echo the identifier is CLIENT_PORT and PEER_PORT is 0;
 *       0 for protocols without ports
 *     MUISP_FLOW_A_UP_BYTES, _UP_PACKETS, _DOWN_BYTES, _DOWN_PACKETS: u64
 *     MUISP_FLOW_A_FIRST_MS, MUISP_FLOW_A_LAST_MS: u64, CLOCK_REALTIME
 *       ms of the first and the last packet
 *     MUISP_FLOW_A_TCP_FLAGS: u8, OR of the TCP flag bytes seen (TCP only;
 *       FIN 0x01, SYN 0x02, RST 0x04, PSH 0x08, ACK 0x10, URG 0x20, ...)
 *     MUISP_FLOW_A_CONTRACT_ID64: u64, and MUISP_FLOW_A_CONTRACT_ID:
 *       u32 when it is below 2^32
 *     MUISP_FLOW_A_END_REASON: u8, enum muisp_flow_end
 *     MUISP_FLOW_A_SEQ: u64, the record's number in its namespace:
 *       1 for the first record generated, one more for each record
 *       after it (the MUISP_STATS_A_FLOW_RECORDS counter once this
 *       record is counted); a listener that sees a gap lost the
 *       records in it (FLOW_GET replies carry no SEQ)
 *   Records are sent with GFP_ATOMIC; if a listener's socket overflows it
 *   gets ENOBUFS and the loss is counted (MUISP_STATS_A_RECORDS_LOST);
 *   the contract's counters in the kernel are exact regardless.
 *
 * MUISP_CMD_GARDEN_ADD: NLM_F_REQUEST [| NLM_F_ACK]
 *   Add a walled-garden entry: destinations unpaid clients (any address
 *   not bound to an ACTIVE contract, except blocked ones) may reach, and
 *   whose replies are let back, before paying (seed section 6, step 3).
 *     MUISP_GARDEN_A_PREFIX: binary 4 or 16, required
 *     MUISP_GARDEN_A_PREFIX_LEN: u8, required, <= 32 or 128
 *     MUISP_GARDEN_A_PROTO: u8, optional, IPPROTO_*, 0 = any protocol
 *     MUISP_GARDEN_A_PORT_MIN, MUISP_GARDEN_A_PORT_MAX: u16, optional
 *       destination (WAN side) port range, inclusive; both absent = any
 *       port; only with PROTO TCP, UDP, SCTP or UDPLITE; MIN <= MAX
 *     MUISP_GARDEN_A_EXPIRES_S: u64, optional, CLOCK_REALTIME, 0 = never;
 *       from that second on the entry no longer matches (it is then
 *       removed by the once-a-second timer)
 *   The reply (a message of the same command) carries MUISP_GARDEN_A_ID:
 *   u32, the entry's id, used to delete it.  Beyond MUISP_MAX_GARDEN
 *   entries (see Limits): -ENOSPC.  Traffic passed through the
 *   garden is not charged to any contract and not metered.
 *
 * MUISP_CMD_GARDEN_DEL: MUISP_GARDEN_A_ID required; -ENOENT if unknown.
 *
 * MUISP_CMD_GARDEN_GET: NLM_F_REQUEST | NLM_F_DUMP; every entry, ordered
 *   by id, with ID, PREFIX, PREFIX_LEN, PROTO, PORT_MIN, PORT_MAX,
 *   EXPIRES_S and HITS (u64, packets passed by the entry).
 *
 * MUISP_CMD_BLOCK_ADD: NLM_F_REQUEST [| NLM_F_ACK]
 *   Add an administrative block: it overrides everything (active
 *   contracts, the walled garden and the router's own services).
 *   Exactly one of:
 *     MUISP_BLOCK_A_PREFIX (binary 4 or 16) + MUISP_BLOCK_A_PREFIX_LEN
 *       (u8; full length = one address): drops forwarded packets whose
 *       source or destination is in the prefix, and packets from the LAN
 *       to the router whose source is in it
 *     MUISP_BLOCK_A_MAC: binary 6: drops IP packets received on the LAN
 *       interface with this Ethernet source address (to the WAN or to the
 *       router); replies cannot flow because requests do not.
 *   and optionally MUISP_BLOCK_A_EXPIRES_S (u64, 0 = never).
 *   The reply carries MUISP_BLOCK_A_ID (u32).  Beyond MUISP_MAX_BLOCKS
 *   entries (see Limits): -ENOSPC.
 *
 * MUISP_CMD_BLOCK_DEL: MUISP_BLOCK_A_ID required; -ENOENT if unknown.
 *
 * MUISP_CMD_BLOCK_GET: NLM_F_REQUEST | NLM_F_DUMP; every entry, ordered by
 *   id, with ID, PREFIX + PREFIX_LEN or MAC, EXPIRES_S and HITS.
 *
 * MUISP_CMD_CONFIG_GET: NLM_F_REQUEST; reply carries every
 *   MUISP_CONFIG_A_* attribute.
 *
 * MUISP_CMD_CONFIG_SET: NLM_F_REQUEST [| NLM_F_ACK]; any subset of:
 *     MUISP_CONFIG_A_LAN_IFINDEX: u32, the LAN interface (its ifindex in
 *       this namespace).  0 (the default) disables the gate: the module
 *       then passes every packet and meters nothing.  Packets entering on
 *       the LAN interface are "up"; packets forwarded out of it "down".
 *     MUISP_CONFIG_A_IDLE_TIMEOUT_S: u32, 1..604800, default 1800
 *     MUISP_CONFIG_A_FIN_TIMEOUT_S: u32, 1..IDLE_TIMEOUT_S, default 10;
 *       idle time-out of a TCP flow after RST or FIN in both directions
 *     MUISP_CONFIG_A_MAX_FLOWS: u32, 1..4194304, default 65536; at most
 *       MUISP_USERNS_MAX_FLOWS without CAP_NET_ADMIN in the initial user
 *       namespace (-EPERM).  The flow table is created when a LAN
 *       interface is set (its bucket array then follows the live flows)
 *       and destroyed, its flows ending with reason FLUSH, when it is
 *       unset.
 *     MUISP_CONFIG_A_CONTROL_PORT: u16, TCP port of the control channel
 *       on the router, default 4433 (0 = none)
 *     MUISP_CONFIG_A_USAGE_GAP_S: u32, 1..3600, default 60 (usage time)
 *     MUISP_CONFIG_A_REQUIRE_TUNNEL: u8 0/1, default 1.  When 1: an
 *       address can be bound only while it has a tunnel identity
 *       (MUISP_ADDR_A_XFRM_SPI), a bound address without one is not
 *       forwarded, and every packet arriving on the LAN with the source
 *       address of an entry that has a tunnel identity must have been
 *       decapsulated by the kernel's IPsec input from that SA (last
 *       transform of the skb's secpath: same protocol, inbound SPI equal
 *       to XFRM_SPI or XFRM_SPI_PREV, tunnel mode, and REQID / IF_ID when
 *       set).  Outside the tunnel such an address may send only the
 *       tunnel's own traffic: AH, ESP, IKE (UDP 500, 4500), DHCP (UDP 67,
 *       547) and IPv6 neighbour discovery.  Anything else is dropped with
 *       MUISP_DROP_TUNNEL in PRE_ROUTING, before routing and metering.
 *       0 is for a trusted wired LAN: bindings by address alone, and
 *       anyone who can send with a payer's address is served as the payer.
 *     MUISP_CONFIG_A_DNS_RATE: u32, 0..10000 packets per second, default
 *       10; MUISP_CONFIG_A_DNS_BURST: u32, 1..10000 packets, default 30.
 *       DNS (TCP or UDP to port 53) from the LAN to the router is always
 *       allowed; from an address not bound to an ACTIVE contract it is
 *       limited per source address to DNS_RATE packets a second after a
 *       burst of DNS_BURST (a token bucket; 0 = no limit), and such
 *       packets longer than MUISP_DNS_MAX_LEN bytes are dropped.  Both
 *       are counted as MUISP_DROP_DNS.  Addresses are hashed into a
 *       fixed table (two ways per set, random key): a source that has
 *       sent nothing for a while frees its way; when every way of a set
 *       is busy a newcomer shares the oldest one's bucket.
 *     MUISP_CONFIG_A_CONN_RATE: u32, 0..10000 a second, default 20;
 *       MUISP_CONFIG_A_CONN_BURST: u32, 1..10000, default 40.  New
 *       connections of per-connection contracts (MUISP_CMD_CONN_REQUEST)
 *       per source address, the same kind of bucket as DNS_RATE's; over
 *       it a connection is dropped as MUISP_DROP_CONN_RATE, not held.
 *   Invalid values: -EINVAL or -ERANGE, nothing changes.
 *
 * MUISP_CMD_STATS_GET: NLM_F_REQUEST; reply carries:
 *     MUISP_STATS_A_DROPS: nest; inside, the attribute type is an enum
 *       muisp_drop_reason value and the payload a u64 count of packets
 *       dropped for it (every reason is present, also when 0); type 0
 *       (MUISP_DROP_UNSPEC) is only alignment padding, skip it
 *     MUISP_STATS_A_UP_PACKETS, _UP_BYTES, _DOWN_PACKETS, _DOWN_BYTES: u64,
 *       packets forwarded and charged to a contract
 *     MUISP_STATS_A_LOCAL_PACKETS: u64, LAN packets accepted to the router
 *     MUISP_STATS_A_GARDEN_PACKETS: u64, packets passed by the garden
 *     MUISP_STATS_A_FLOWS: u32, live flows; MUISP_STATS_A_MAX_FLOWS: u32
 *     MUISP_STATS_A_EVICTIONS: u64, flows ended to make room
 *     MUISP_STATS_A_FLOW_RECORDS: u64, flow records generated
 *     MUISP_STATS_A_RECORDS_LOST: u64, records not delivered to a
 *       listener (multicast failed) -- usage stays in the contract
 *     MUISP_STATS_A_EVENTS, MUISP_STATS_A_EVENTS_LOST: u64
 *     MUISP_STATS_A_ADDRS, MUISP_STATS_A_CONTRACTS: u32, table sizes
 *     MUISP_STATS_A_FLOWS_UNMETERED: u64, packets forwarded for an active
 *       contract that the flow table could not meter (no memory or full
 *       without a victim); the contract's counters still count them
 *     MUISP_STATS_A_CONN_HELD: u64, packets of per-connection contracts
 *       sent to their NFQUEUE; MUISP_STATS_A_CONN_REQUESTS: u64, of them
 *       the connections asked about (MUISP_CMD_CONN_REQUEST)
 *
 * MUISP_CMD_EVENT: multicast on group MUISP_GENL_MCGRP_EVENTS only
 *     MUISP_EVENT_A_TYPE: u8, enum muisp_event_type
 *     MUISP_EVENT_A_TIME_MS: u64, CLOCK_REALTIME
 *     MUISP_EVENT_A_CONTRACT_ID64: u64 (limit/expiry events; ADDR_STATE
 *       when bound before or after), and MUISP_EVENT_A_CONTRACT_ID: u32
 *       when it is below 2^32
 *     MUISP_EVENT_A_STATUS: u8, the contract status after the event
 *     MUISP_EVENT_A_USED, MUISP_EVENT_A_LIMIT: u64 (limit events)
 *     MUISP_EVENT_A_ADDR: binary 4 or 16 (ADDR_STATE)
 *     MUISP_EVENT_A_OLD_STATE, MUISP_EVENT_A_NEW_STATE: u8, enum
 *       muisp_addr_state (ADDR_STATE; UNSPEC = no entry)
 *
 * MUISP_CMD_AGENT_SET: NLM_F_REQUEST [| NLM_F_ACK]
 *   Register a multi-user host as an agent of this namespace's meter
 *   (per-user accounting, docs/DESIGN.md), or give a registered one a
 *   new key: the meter then opens the Accounting IDs in the User
 *   Information options of the packets that host sends.
 *     MUISP_AGENT_A_ADDR: binary 4 or 16, required: the host's address
 *     MUISP_AGENT_A_KEY: binary MUISP_AGENT_KEY_LEN
 *     MUISP_AGENT_A_KEY_ID: u32 >= 1: the key's generation, as the
 *       key agreement numbers them; with KEY, or neither
 *     MUISP_AGENT_A_HOLD_QUEUE: u16: the host answers out of band
 *       (thesis ch. 5): a TCP or UDP packet of it that begins no
 *       flow the table has goes, before the gate and uncounted, to
 *       this NFQUEUE (without bypass: no listener drops it) until
 *       MUISP_CMD_AGENT_FLOW_SET has named the flow's user; sent
 *       round the hook again (NF_REPEAT) it is then gated and
 *       counted as that user's.  Absent: in-band.
 *     MUISP_AGENT_A_SCHEME: u8 enum muisp_agent_scheme; absent:
 *       OUT_OF_BAND with HOLD_QUEUE, else IN_BAND.  OUT_OF_BAND
 *       requires HOLD_QUEUE, any other scheme refuses it (-EINVAL).
 *   Without KEY and KEY_ID the agent is closed (its key agreement is
 *   down): every packet forwarded to or from the host is dropped
 *   (MUISP_DROP_AGENT_DOWN) and counted in MUISP_AGENT_A_BLOCKED,
 *   and dumps carry no KEY_ID.  A new key for a registered address
 *   keeps its id and counters and starts a new replay window.  The reply carries MUISP_AGENT_A_ID:
 *   u32.  Beyond MUISP_MAX_AGENTS agents (see Limits): -ENOSPC; no
 *   gcm(aes) in the kernel: -ENOENT.
 *
 * MUISP_CMD_AGENT_DEL: MUISP_AGENT_A_ADDR required; -ENOENT if no agent has it.
 *
 * MUISP_CMD_AGENT_GET: NLM_F_REQUEST | NLM_F_DUMP; every agent, ordered
 *   by id, with ID, ADDR, KEY_ID (none while closed) and the counters
 *   of options its key opened (OPENED), dropped as not sealed by it
 *   (FORGED), dropped as replayed (REPLAYED) and packets dropped while
 *   closed (BLOCKED), all u64.  Never the key.  An agent that
 *   answers out of band also has HOLD_QUEUE, the packets queued
 *   (HELD) and the answers given by MUISP_CMD_AGENT_FLOW_SET
 *   (ANSWERED); an OUT_OF_BAND_PACKET one has ANSWERED.  Every
 *   agent has SCHEME.
 *
 * MUISP_CMD_AGENT_FLOW_SET: NLM_F_REQUEST [| NLM_F_ACK]
 *   The out-of-band answer (thesis ch. 5, flow-based): the flow the
 *   agent's host begins is the user's.
 *     MUISP_AGENT_A_ADDR: binary 4 or 16, required: the host's address
 *     MUISP_AGENT_A_PROTO: u8 IPPROTO_TCP or IPPROTO_UDP, required
 *     MUISP_AGENT_A_PORT: u16, required: the host's port
 *     MUISP_AGENT_A_PEER: binary, same family, required
 *     MUISP_AGENT_A_PEER_PORT: u16, required
 *     MUISP_AGENT_A_USER: u32, required: the Accounting ID, or 0 for
 *       the host's own (an unmapped user: the address pays)
 *   Kept for 5 s for the packets held, which muispd then sends
 *   round the FORWARD hook again (NF_REPEAT): gated and counted as
 *   the user's, like a tagged packet (their contract, else the
 *   host's address), they begin the flow; its later packets are
 *   not held.  A flow the table has already moves to the user's
 *   active contract, as for a redirected copy.  For an agent that
 *   does not hold flows (a host that reports its packets, thesis
 *   ch. 5(a)) only that move: nothing is kept.  -ENOENT: no such
 *   agent.
 *
 * MUISP_CMD_USER_SET: NLM_F_REQUEST [| NLM_F_ACK]
 *   Bind a user of a multi-user host to a contract of their own (per-user
 *   contracts, docs/DESIGN.md): a packet whose User Information option
 *   opens under the host's agent key with this Accounting ID is gated
 *   and charged on this contract, not the host address's.
 *     MUISP_USER_A_ADDR: binary 4 or 16, required: the host's address
 *     MUISP_USER_A_USER: u32, required: the Accounting ID
 *     MUISP_USER_A_CONTRACT_ID or _ID64: required, an existing contract
 *   Rebinding a pair to another contract ends the flows of the old
 *   one (REBIND).  The reply carries MUISP_USER_A_ID: u32.  Beyond
 *   MUISP_MAX_USERS bindings (see Limits): -ENOSPC; no such contract:
 *   -ENOENT.
 *
 * MUISP_CMD_USER_DEL: NLM_F_REQUEST [| NLM_F_ACK]
 *   MUISP_USER_A_ADDR and MUISP_USER_A_USER required; -ENOENT if
 *   that pair is not bound.  The flows of its contract end (FLUSH);
 *   the user's packets are then the host's.
 *
 * MUISP_CMD_USER_GET: NLM_F_REQUEST | NLM_F_DUMP
 *   Every binding, ordered by id, with ID, ADDR, USER, CONTRACT_ID
 *   (or _ID64), CONTRACT_STATUS and the contract's counters UP_BYTES,
 *   UP_PACKETS, DOWN_BYTES, DOWN_PACKETS (u64; the user's own usage
 *   when the contract has no other user or address).
 *
 * MUISP_CMD_TAG_SET: NLM_F_REQUEST [| NLM_F_ACK]
 *   The agent's role (per-user accounting, docs/DESIGN.md): tag the
 *   packets of mapped local users (MUISP_CMD_TAG_USER_SET) that leave
 *   through an interface with a sealed User Information option, for
 *   the meter on the router to open.
 *     MUISP_TAG_A_IFINDEX: u32, required: the interface towards the
 *       meter
 *     MUISP_TAG_A_KEY: binary MUISP_AGENT_KEY_LEN: the key the meter
 *       has for this host (MUISP_CMD_AGENT_SET there)
 *     MUISP_TAG_A_KEY_ID: u32 >= 1: its generation; with KEY, or
 *       neither
 *     MUISP_TAG_A_METHOD: u8 enum muisp_tag_method, default PACKET
 *   Without KEY and KEY_ID the role is closed (the key agreement is
 *   down): mapped users' packets through the interface are dropped
 *   and counted in MUISP_TAG_A_BLOCKED, and MUISP_CMD_TAG_GET carries
 *   no KEY_ID.  Replaces the whole setting.  Seal numbers never go back, whatever
 *   the key (AES-GCM's nonces): they go on past the last setting's
 *   and past the wall clock in nanoseconds.  No gcm(aes) in the
 *   kernel: -ENOENT.
 *
 * MUISP_CMD_TAG_DEL: NLM_F_REQUEST [| NLM_F_ACK]
 *   Stop tagging; -ENOENT if the agent's role is not set.
 *
 * MUISP_CMD_TAG_GET: NLM_F_REQUEST
 *   The setting (IFINDEX, KEY_ID unless closed, METHOD, never the
 *   key) and the packets of mapped users TAGGED, SKIPPED (left
 *   untagged: GSO, too big for the path with DF or over IPv6, a header
 *   in the way, no memory), BLOCKED (dropped while closed),
 *   DENIED (dropped: their user is blocked) and SPOOFED (dropped:
 *   a source address not the sender's, see TAG_USER_SET), u64,
 *   kept across settings;
 *   -ENOENT if not set.
 *
 * MUISP_CMD_TAG_USER_SET: NLM_F_REQUEST [| NLM_F_ACK]
 *   The agent tags the packets of local user UID (u32, required, in
 *   the user namespace that owns the network namespace: the owner
 *   of the sending socket) with
 *   Accounting ID USER (u32, required).  BLOCKED (u8 0/1, default
 *   0): the router blocks the user, so their packets through the
 *   interface are dropped instead, keyed or closed, and counted in
 *   MUISP_TAG_A_DENIED.  ADDR (4 or 16 bytes, optional): the
 *   user's own address (Multi-IP).  Through the interface, a
 *   socket's packet from a user's address is dropped unless the
 *   socket is that user's, and a packet of the user whose ADDR is of
 *   its family is dropped unless it is from ADDR (both counted in
 *   MUISP_TAG_A_SPOOFED; the kernel's own packets are not judged);
 *   from ADDR it is not tagged (the address names the user) nor
 *   dropped while closed.  Replaces the whole entry.  An ADDR
 *   another uid has: -EEXIST, the message naming it.  Beyond
 *   MUISP_MAX_USERS (see Limits): -ENOSPC.
 *
 * MUISP_CMD_TAG_USER_DEL: NLM_F_REQUEST [| NLM_F_ACK]
 *   MUISP_TAG_USER_A_UID required; -ENOENT if it is not mapped.
 *
 * MUISP_CMD_TAG_USER_GET: NLM_F_REQUEST | NLM_F_DUMP
 *   Every mapped UID with its USER, BLOCKED and ADDR (if it has
 *   one), ordered by uid, and what the COUNT method counted for it:
 *   SENT_BYTES, SENT_PACKETS, RECV_BYTES, RECV_PACKETS (u64, IP
 *   bytes as on the wire, each GSO segment with its headers; kept
 *   while the uid stays mapped, whatever TAG_USER_SET replaces;
 *   from 0 when it is mapped again).
 *
 * MUISP_CMD_TAG_REPORT: multicast on group MUISP_GENL_MCGRP_REPORTS only
 *   With the agent's method REPORT (keyed), one message per TCP or
 *   UDP packet a mapped user sends through the interface, unless it
 *   leaves from the user's own address: UID, USER, PROTO, ADDR and
 *   PORT (the packet's source), PEER and PEER_PORT (its
 *   destination), BYTES and PACKETS.  IPv6 packets with an
 *   extension header before the transport header are not reported.
 *   Sent with GFP_ATOMIC only while someone listens; a listener's
 *   socket that overflows gets ENOBUFS (the host's agent loses those
 *   reports: the router keeps the flow on the host's address).
 *
 * MUISP_CMD_USER_USAGE_MOVE: NLM_F_REQUEST [| NLM_F_ACK]
 *   A standalone agent's usage record (thesis ch. 5(c)): what the
 *   host counted for one of its users, taken from the contract the
 *   host's address is bound to and given to the user's (counters and
 *   quota, as a rollback moves a flow's), so that the exports of
 *   per-user contracts carry it.
 *     MUISP_USER_A_ADDR, MUISP_USER_A_USER: required, a bound user
 *     MUISP_USER_A_USAGE_SEQ: u64 >= 1, required: the record's number
 *     MUISP_USER_A_UP_BYTES, _UP_PACKETS: sent; _DOWN_BYTES,
 *       _DOWN_PACKETS: received (absent: 0)
 *   Each is cut to what the host's contract has counted.  A number
 *   at most the user's last moved is refused with -EALREADY (the
 *   binding keeps it, and a rebinding passes it on), so a record
 *   moves once whoever asks again.  The reply carries what moved.
 *   -ENOENT: the user is not bound, or the host's address is bound
 *   to no contract.
 *
 * MUISP_CMD_CONN_REQUEST: multicast on group MUISP_GENL_MCGRP_CONNS only
 *   Per-connection billing (Edell's billing gateway): the first packet
 *   of a new connection of a contract with MUISP_CONTRACT_A_CONN_HOLD
 *   (a TCP packet, or a UDP one with TCP_UDP, from the LAN that begins
 *   no flow) was sent to the contract's NFQUEUE to wait for muispd's
 *   MUISP_CMD_CONN_VERDICT.  Its retransmissions are queued too but
 *   not announced again while the request is fresh (5 s).
 *     MUISP_FLOW_A_CLIENT_ADDR, MUISP_FLOW_A_PEER_ADDR: binary 4 or 16
 *     MUISP_FLOW_A_PROTO: u8; MUISP_FLOW_A_CLIENT_PORT, _PEER_PORT: u16
 *     MUISP_FLOW_A_CONTRACT_ID64 (and _CONTRACT_ID below 2^32)
 *     MUISP_FLOW_A_FIRST_MS: u64, CLOCK_REALTIME
 *
 * MUISP_CMD_CONN_VERDICT: NLM_F_REQUEST [| NLM_F_ACK]
 *   muispd's verdict on a held connection, kept 5 s for its packets,
 *   which muispd then sends round the FORWARD hook again (NF_REPEAT):
 *   accepted, they are gated, charged and begin the flow, whose later
 *   packets in both directions are not held; refused, they and the
 *   retransmissions that follow within the 5 s are dropped
 *   (MUISP_DROP_CONN_REFUSED).
 *     MUISP_FLOW_A_CLIENT_ADDR: binary 4 or 16, required
 *     MUISP_FLOW_A_PEER_ADDR: binary, same family, required
 *     MUISP_FLOW_A_PROTO: u8 IPPROTO_TCP or IPPROTO_UDP, required
 *     MUISP_FLOW_A_CLIENT_PORT, _PEER_PORT: u16, required
 *     MUISP_FLOW_A_VERDICT: u8 enum muisp_conn_verdict, required
 *   -ENETDOWN: no LAN interface is set.
 */
#ifndef _UAPI_MUISP_H
#define _UAPI_MUISP_H

#include <linux/types.h>

#define MUISP_GENL_NAME		"muisp"
#define MUISP_GENL_VERSION	1

#define MUISP_GENL_MCGRP_EVENTS		"events"
#define MUISP_GENL_MCGRP_FLOWS		"flows"
#define MUISP_GENL_MCGRP_REPORTS	"reports"
#define MUISP_GENL_MCGRP_CONNS		"conns"

/* Defaults and bounds of the configuration (see MUISP_CMD_CONFIG_SET). */
#define MUISP_DEFAULT_IDLE_TIMEOUT_S	1800
#define MUISP_DEFAULT_FIN_TIMEOUT_S	10
#define MUISP_DEFAULT_MAX_FLOWS		65536
#define MUISP_DEFAULT_CONTROL_PORT	4433
#define MUISP_DEFAULT_USAGE_GAP_S	60
#define MUISP_DEFAULT_REQUIRE_TUNNEL	1
#define MUISP_MAX_IDLE_TIMEOUT_S	604800
#define MUISP_MAX_MAX_FLOWS		4194304
#define MUISP_MAX_USAGE_GAP_S		3600

/*
 * DNS from unpaid clients to the router (MUISP_CONFIG_A_DNS_RATE and
 * _DNS_BURST): defaults, bounds, and the longest such packet (L3 bytes).
 */
#define MUISP_DEFAULT_DNS_RATE	10
#define MUISP_DEFAULT_DNS_BURST	30
#define MUISP_MAX_DNS_RATE	10000
#define MUISP_MAX_DNS_BURST	10000
#define MUISP_DNS_MAX_LEN	640

/*
 * New connections a second of one source that per-connection billing
 * holds (MUISP_CONFIG_A_CONN_RATE and _CONN_BURST): defaults, bounds.
 */
#define MUISP_DEFAULT_CONN_RATE		20
#define MUISP_DEFAULT_CONN_BURST	40
#define MUISP_MAX_CONN_RATE		10000
#define MUISP_MAX_CONN_BURST		10000

/*
 * Table sizes (see Limits above): for a caller with CAP_NET_ADMIN in
 * the initial user namespace, and for any other (MUISP_USERNS_*).
 */
#define MUISP_MAX_ADDRS			262144
#define MUISP_MAX_CONTRACTS		262144
#define MUISP_MAX_GARDEN		4096
#define MUISP_MAX_BLOCKS		4096
#define MUISP_USERNS_MAX_FLOWS		65536
#define MUISP_USERNS_MAX_ADDRS		4096
#define MUISP_USERNS_MAX_CONTRACTS	4096
#define MUISP_USERNS_MAX_GARDEN		256
#define MUISP_USERNS_MAX_BLOCKS		256

/*
 * Per-user accounting (MUISP_CMD_AGENT_*): the multi-user hosts whose
 * User Information options this namespace, as their meter, opens, for
 * any caller and for one without CAP_NET_ADMIN in the initial user
 * namespace (MUISP_USERNS_MAX_AGENTS).
 */
#define MUISP_MAX_AGENTS	4096
#define MUISP_USERNS_MAX_AGENTS	256

/*
 * Per-user contracts (MUISP_CMD_USER_*): the <agent address, Accounting
 * ID> pairs bound to a contract, and the agent's map of local users
 * (MUISP_CMD_TAG_USER_*), each, for any caller and for one without
 * CAP_NET_ADMIN in the initial user namespace (MUISP_USERNS_MAX_USERS).
 */
#define MUISP_MAX_USERS		65536
#define MUISP_USERNS_MAX_USERS	1024

/*
 * An agent's keying material: the AES-128-GCM key (16 bytes), then the
 * salt of its nonces (4), as RFC 4106 gives ESP its key.
 */
#define MUISP_AGENT_KEY_LEN	20

enum muisp_cmd {
	MUISP_CMD_UNSPEC,
	MUISP_CMD_ADDR_SET,
	MUISP_CMD_ADDR_GET,
	MUISP_CMD_ADDR_DEL,
	MUISP_CMD_CONTRACT_SET,
	MUISP_CMD_CONTRACT_GET,
	MUISP_CMD_CONTRACT_DEL,
	MUISP_CMD_FLOW_GET,
	MUISP_CMD_FLOW_DEL,
	MUISP_CMD_FLOW_RECORD,
	MUISP_CMD_GARDEN_ADD,
	MUISP_CMD_GARDEN_DEL,
	MUISP_CMD_GARDEN_GET,
	MUISP_CMD_BLOCK_ADD,
	MUISP_CMD_BLOCK_DEL,
	MUISP_CMD_BLOCK_GET,
	MUISP_CMD_CONFIG_GET,
	MUISP_CMD_CONFIG_SET,
	MUISP_CMD_STATS_GET,
	MUISP_CMD_EVENT,
	MUISP_CMD_AGENT_SET,
	MUISP_CMD_AGENT_DEL,
	MUISP_CMD_AGENT_GET,
	MUISP_CMD_AGENT_FLOW_SET,
	MUISP_CMD_USER_SET,
	MUISP_CMD_USER_DEL,
	MUISP_CMD_USER_GET,
	MUISP_CMD_TAG_SET,
	MUISP_CMD_TAG_DEL,
	MUISP_CMD_TAG_GET,
	MUISP_CMD_TAG_USER_SET,
	MUISP_CMD_TAG_USER_DEL,
	MUISP_CMD_TAG_USER_GET,
	MUISP_CMD_TAG_REPORT,
	MUISP_CMD_USER_USAGE_MOVE,
	MUISP_CMD_CONN_REQUEST,
	MUISP_CMD_CONN_VERDICT,
	__MUISP_CMD_LAST
};
#define MUISP_CMD_MAX (__MUISP_CMD_LAST - 1)

/* Address states (seed Fig. 5).  UNSPEC: no entry (events only). */
enum muisp_addr_state {
	MUISP_ADDR_STATE_UNSPEC,
	MUISP_ADDR_STATE_UNALLOCATED,
	MUISP_ADDR_STATE_ALLOCATED,
	MUISP_ADDR_STATE_BOUND,
	__MUISP_ADDR_STATE_LAST
};
#define MUISP_ADDR_STATE_MAX (__MUISP_ADDR_STATE_LAST - 1)

/*
 * Status of a contract (seed Fig. 4).  Only ACTIVE forwards.
 * EXTINGUISHED (hard limit reached or expired) is set by the kernel.
 */
enum muisp_contract_status {
	MUISP_CONTRACT_STATUS_UNSPEC,
	MUISP_CONTRACT_STATUS_ACTIVE,
	MUISP_CONTRACT_STATUS_SUSPENDED,
	MUISP_CONTRACT_STATUS_DELINQUENT,
	MUISP_CONTRACT_STATUS_EXTINGUISHED,
	__MUISP_CONTRACT_STATUS_LAST
};
#define MUISP_CONTRACT_STATUS_MAX (__MUISP_CONTRACT_STATUS_LAST - 1)

/*
 * Which packets of a mapped user the agent tags, and which of the
 * user's received packets it redirects to the meter (the thesis's
 * Table 4.1).  PACKET: every one sent tagged, every one received
 * redirected.  FLOW: those that begin a flow, TCP's SYN and, while
 * conntrack calls the flow new, the others (all of them without
 * conntrack); received, the first packet of a flow begun from outside.
 * HYBRID: every one sent tagged, received as FLOW.  COUNT (the
 * standalone meter): none tagged or redirected; the packets and bytes
 * each mapped user sends and receives through the interface are
 * counted in their map entry (MUISP_CMD_TAG_USER_GET), for the host's
 * agent to report.  REPORT (the out-of-band scheme, packet-based):
 * none tagged or redirected; each TCP or UDP packet a mapped user
 * sends through the interface is reported on the multicast group
 * "reports" (MUISP_CMD_TAG_REPORT), for the host's agent to tell the
 * router whose it is.
 */
enum muisp_tag_method {
	MUISP_TAG_METHOD_UNSPEC,
	MUISP_TAG_METHOD_PACKET,
	MUISP_TAG_METHOD_FLOW,
	MUISP_TAG_METHOD_HYBRID,
	MUISP_TAG_METHOD_COUNT,
	MUISP_TAG_METHOD_REPORT,
	__MUISP_TAG_METHOD_MAX
};
#define MUISP_TAG_METHOD_MAX (__MUISP_TAG_METHOD_MAX - 1)

/*
 * How a meter's agent names the users of its host's packets (the
 * thesis's ch. 4 to 5; the numbers are the control channel's SCHEME).
 * IN_BAND: in the packets' User Information options; the meter puts
 * Queries into packets to the host.  OUT_OF_BAND (flow-based): by
 * answering for the flows the meter holds on MUISP_AGENT_A_HOLD_QUEUE.
 * STANDALONE: the host counts per user and reports totals, so the
 * meter neither holds nor asks.  OUT_OF_BAND_PACKET: the host reports
 * its users' packets; MUISP_CMD_AGENT_FLOW_SET moves a flow already
 * begun, or is kept as the answer for the flow's first packet when
 * the report arrives before it.  Only IN_BAND hosts get Queries.
 */
enum muisp_agent_scheme {
	MUISP_AGENT_SCHEME_IN_BAND,
	MUISP_AGENT_SCHEME_OUT_OF_BAND,
	MUISP_AGENT_SCHEME_STANDALONE,
	MUISP_AGENT_SCHEME_OUT_OF_BAND_PACKET,
	__MUISP_AGENT_SCHEME_MAX
};
#define MUISP_AGENT_SCHEME_MAX (__MUISP_AGENT_SCHEME_MAX - 1)

/* Usage metric of a contract; limits are in its unit. */
enum muisp_metric {
	MUISP_METRIC_UNSPEC,
	MUISP_METRIC_ELAPSED_TIME,	/* milliseconds ACTIVE */
	MUISP_METRIC_USAGE_TIME,	/* milliseconds of use */
	MUISP_METRIC_BYTES,		/* L3 bytes, both directions */
	MUISP_METRIC_PACKETS,		/* packets, both directions */
	__MUISP_METRIC_LAST
};
#define MUISP_METRIC_MAX (__MUISP_METRIC_LAST - 1)

/* Why a flow ended (MUISP_FLOW_A_END_REASON). */
enum muisp_flow_end {
	MUISP_FLOW_END_UNSPEC,
	MUISP_FLOW_END_IDLE,	/* idle time-out */
	MUISP_FLOW_END_CLOSED,	/* TCP FIN/RST, then the FIN time-out */
	MUISP_FLOW_END_EVICTED,	/* table full: made room for a new flow */
	/* FLOW_DEL, CONTRACT_DEL, unbind, config or unload */
	MUISP_FLOW_END_FLUSH,
	MUISP_FLOW_END_REBIND,	/* the address was bound to another contract */
	__MUISP_FLOW_END_LAST
};
#define MUISP_FLOW_END_MAX (__MUISP_FLOW_END_LAST - 1)

/* Why the gate dropped a packet (MUISP_STATS_A_DROPS). */
enum muisp_drop_reason {
	MUISP_DROP_UNSPEC,
	/* client address unknown or not bound */
	MUISP_DROP_NOT_BOUND,
	/* bound to a contract that does not exist */
	MUISP_DROP_NO_CONTRACT,
	MUISP_DROP_SUSPENDED,		/* contract suspended */
	MUISP_DROP_DELINQUENT,		/* contract delinquent (soft limit) */
	MUISP_DROP_HARD_LIMIT,		/* contract reached its hard limit */
	MUISP_DROP_EXPIRED,		/* contract expired */
	MUISP_DROP_BLOCKED,		/* administrative block list */
	MUISP_DROP_LOCAL,		/* LAN -> router service not allowed */
	/* truncated or bad IP/transport header */
	MUISP_DROP_MALFORMED,
	/* REQUIRE_TUNNEL: not via the address's SA */
	MUISP_DROP_TUNNEL,
	/* unpaid client's DNS to the router over its rate, or too long */
	MUISP_DROP_DNS,
	/* agent's option forged or replayed, or not removable */
	MUISP_DROP_USER_INFO,
	/* to or from an agent's host while its key agreement is down */
	MUISP_DROP_AGENT_DOWN,
	/* a per-connection contract's connection that muispd refused */
	MUISP_DROP_CONN_REFUSED,
	/*
	 * new connections of a per-connection contract over the source's rate
	 */
	MUISP_DROP_CONN_RATE,
	__MUISP_DROP_LAST
};
#define MUISP_DROP_MAX (__MUISP_DROP_LAST - 1)

/* Asynchronous events (MUISP_EVENT_A_TYPE). */
enum muisp_event_type {
	MUISP_EVENT_UNSPEC,
	MUISP_EVENT_SOFT_LIMIT,	/* contract became DELINQUENT */
	MUISP_EVENT_HARD_LIMIT,	/* contract EXTINGUISHED by its hard limit */
	MUISP_EVENT_EXPIRED,	/* contract EXTINGUISHED by its expiry */
	MUISP_EVENT_ADDR_STATE,	/* address state changed */
	__MUISP_EVENT_LAST
};
#define MUISP_EVENT_MAX (__MUISP_EVENT_LAST - 1)

enum muisp_addr_flag {
	MUISP_ADDR_F_EXCL = 1U << 0,
	__MUISP_ADDR_F_ALL = MUISP_ADDR_F_EXCL
};

enum muisp_contract_flag {
	MUISP_CONTRACT_F_EXCL = 1U << 0,
	MUISP_CONTRACT_F_RESET_USAGE = 1U << 1,
	__MUISP_CONTRACT_F_ALL = MUISP_CONTRACT_F_EXCL |
				 MUISP_CONTRACT_F_RESET_USAGE
};

/*
 * Per-connection billing of a contract (MUISP_CONTRACT_A_CONN_HOLD,
 * Edell's billing gateway): which new connections wait for muispd's
 * verdict.
 */
enum muisp_conn_hold {
	MUISP_CONN_HOLD_NONE,		/* none (the default) */
	MUISP_CONN_HOLD_TCP,		/* TCP connections */
	MUISP_CONN_HOLD_TCP_UDP,	/* TCP connections and UDP flows */
	__MUISP_CONN_HOLD_LAST
};
#define MUISP_CONN_HOLD_MAX (__MUISP_CONN_HOLD_LAST - 1)

/* muispd's verdict on a held connection (MUISP_FLOW_A_VERDICT). */
enum muisp_conn_verdict {
	MUISP_CONN_UNSPEC,
	/* forward it and meter it as a flow of its contract */
	MUISP_CONN_ACCEPT,
	MUISP_CONN_REFUSE,	/* drop it, and its retransmissions for 5 s */
	__MUISP_CONN_VERDICT_LAST
};
#define MUISP_CONN_MAX (__MUISP_CONN_VERDICT_LAST - 1)

enum muisp_addr_attr {
	MUISP_ADDR_A_UNSPEC,
	MUISP_ADDR_A_PAD,
	MUISP_ADDR_A_ID,		/* u32, output */
	MUISP_ADDR_A_ADDR,		/* binary 4 or 16 */
	MUISP_ADDR_A_STATE,		/* u8, enum muisp_addr_state */
	MUISP_ADDR_A_CONTRACT_ID,	/* u32 */
	MUISP_ADDR_A_CONTRACT_STATUS,	/* u8, output */
	MUISP_ADDR_A_MAC,		/* binary 6 */
	MUISP_ADDR_A_XFRM_REQID,	/* u32 */
	MUISP_ADDR_A_XFRM_IF_ID,	/* u32 */
	MUISP_ADDR_A_FLAGS,		/* u32, MUISP_ADDR_F_* */
	MUISP_ADDR_A_XFRM_SPI,		/* u32, inbound SPI, host order */
	MUISP_ADDR_A_XFRM_SPI_PREV,	/* u32 */
	MUISP_ADDR_A_XFRM_PROTO,	/* u8, IPPROTO_AH or IPPROTO_ESP */
	MUISP_ADDR_A_CONTRACT_ID64,	/* u64, CONTRACT_ID widened */
	__MUISP_ADDR_A_LAST
};
#define MUISP_ADDR_A_MAX (__MUISP_ADDR_A_LAST - 1)

enum muisp_contract_attr {
	MUISP_CONTRACT_A_UNSPEC,
	MUISP_CONTRACT_A_PAD,
	MUISP_CONTRACT_A_ID,		/* u32, non-zero */
	MUISP_CONTRACT_A_STATUS,	/* u8, enum muisp_contract_status */
	MUISP_CONTRACT_A_METRIC,	/* u8, enum muisp_metric */
	MUISP_CONTRACT_A_SOFT_LIMIT,	/* u64, metric units, 0 = none */
	MUISP_CONTRACT_A_HARD_LIMIT,	/* u64, metric units, 0 = none */
	MUISP_CONTRACT_A_EXPIRES_S,	/* u64, CLOCK_REALTIME, 0 = never */
	MUISP_CONTRACT_A_USED,		/* u64, output: value of the metric */
	MUISP_CONTRACT_A_UP_BYTES,	/* u64 */
	MUISP_CONTRACT_A_UP_PACKETS,	/* u64 */
	MUISP_CONTRACT_A_DOWN_BYTES,	/* u64 */
	MUISP_CONTRACT_A_DOWN_PACKETS,	/* u64 */
	MUISP_CONTRACT_A_ELAPSED_MS,	/* u64 */
	MUISP_CONTRACT_A_USAGE_MS,	/* u64 */
	MUISP_CONTRACT_A_NADDRS,	/* u32, output */
	MUISP_CONTRACT_A_FLAGS,		/* u32, MUISP_CONTRACT_F_* */
	MUISP_CONTRACT_A_ID64,		/* u64, ID widened */
	MUISP_CONTRACT_A_NUSERS,	/* u32, output */
	MUISP_CONTRACT_A_CONN_HOLD,	/* u8, enum muisp_conn_hold */
	/* u16, the NFQUEUE a held connection's packets go to */
	MUISP_CONTRACT_A_CONN_QUEUE,
	__MUISP_CONTRACT_A_LAST
};
#define MUISP_CONTRACT_A_MAX (__MUISP_CONTRACT_A_LAST - 1)

enum muisp_flow_attr {
	MUISP_FLOW_A_UNSPEC,
	MUISP_FLOW_A_PAD,
	MUISP_FLOW_A_ID,		/* u64 */
	MUISP_FLOW_A_CLIENT_ADDR,	/* binary 4 or 16 */
	MUISP_FLOW_A_PEER_ADDR,		/* binary 4 or 16 */
	MUISP_FLOW_A_PROTO,		/* u8, IPPROTO_* */
	MUISP_FLOW_A_CLIENT_PORT,	/* u16, or ICMP echo identifier */
	MUISP_FLOW_A_PEER_PORT,		/* u16 */
	MUISP_FLOW_A_UP_BYTES,		/* u64 */
	MUISP_FLOW_A_UP_PACKETS,	/* u64 */
	MUISP_FLOW_A_DOWN_BYTES,	/* u64 */
	MUISP_FLOW_A_DOWN_PACKETS,	/* u64 */
	MUISP_FLOW_A_FIRST_MS,		/* u64, CLOCK_REALTIME */
	MUISP_FLOW_A_LAST_MS,		/* u64, CLOCK_REALTIME */
	MUISP_FLOW_A_TCP_FLAGS,		/* u8 */
	MUISP_FLOW_A_CONTRACT_ID,	/* u32 */
	MUISP_FLOW_A_END_REASON,	/* u8, enum muisp_flow_end */
	MUISP_FLOW_A_CONTRACT_ID64,	/* u64, CONTRACT_ID widened */
	/* u64, FLOW_RECORD only; per-namespace record number */
	MUISP_FLOW_A_SEQ,
	MUISP_FLOW_A_VERDICT,		/* u8, enum muisp_conn_verdict */
	__MUISP_FLOW_A_LAST
};
#define MUISP_FLOW_A_MAX (__MUISP_FLOW_A_LAST - 1)

enum muisp_garden_attr {
	MUISP_GARDEN_A_UNSPEC,
	MUISP_GARDEN_A_PAD,
	MUISP_GARDEN_A_ID,		/* u32 */
	MUISP_GARDEN_A_PREFIX,		/* binary 4 or 16 */
	MUISP_GARDEN_A_PREFIX_LEN,	/* u8 */
	MUISP_GARDEN_A_PROTO,		/* u8, 0 = any */
	MUISP_GARDEN_A_PORT_MIN,	/* u16 */
	MUISP_GARDEN_A_PORT_MAX,	/* u16 */
	MUISP_GARDEN_A_EXPIRES_S,	/* u64, CLOCK_REALTIME, 0 = never */
	MUISP_GARDEN_A_HITS,		/* u64, output */
	__MUISP_GARDEN_A_LAST
};
#define MUISP_GARDEN_A_MAX (__MUISP_GARDEN_A_LAST - 1)

enum muisp_block_attr {
	MUISP_BLOCK_A_UNSPEC,
	MUISP_BLOCK_A_PAD,
	MUISP_BLOCK_A_ID,		/* u32 */
	MUISP_BLOCK_A_PREFIX,		/* binary 4 or 16 */
	MUISP_BLOCK_A_PREFIX_LEN,	/* u8 */
	MUISP_BLOCK_A_MAC,		/* binary 6 */
	MUISP_BLOCK_A_EXPIRES_S,	/* u64, CLOCK_REALTIME, 0 = never */
	MUISP_BLOCK_A_HITS,		/* u64, output */
	__MUISP_BLOCK_A_LAST
};
#define MUISP_BLOCK_A_MAX (__MUISP_BLOCK_A_LAST - 1)

enum muisp_config_attr {
	MUISP_CONFIG_A_UNSPEC,
	MUISP_CONFIG_A_PAD,
	MUISP_CONFIG_A_LAN_IFINDEX,	/* u32, 0 = gate disabled */
	MUISP_CONFIG_A_IDLE_TIMEOUT_S,	/* u32 */
	MUISP_CONFIG_A_FIN_TIMEOUT_S,	/* u32 */
	MUISP_CONFIG_A_MAX_FLOWS,	/* u32 */
	MUISP_CONFIG_A_CONTROL_PORT,	/* u16 */
	MUISP_CONFIG_A_USAGE_GAP_S,	/* u32 */
	MUISP_CONFIG_A_REQUIRE_TUNNEL,	/* u8, 0/1 */
	/* u32, packets per second, 0 = no limit */
	MUISP_CONFIG_A_DNS_RATE,
	MUISP_CONFIG_A_DNS_BURST,	/* u32, packets */
	/* u32, new held connections per second and source, 0 = no limit */
	MUISP_CONFIG_A_CONN_RATE,
	MUISP_CONFIG_A_CONN_BURST,	/* u32, connections */
	__MUISP_CONFIG_A_LAST
};
#define MUISP_CONFIG_A_MAX (__MUISP_CONFIG_A_LAST - 1)

enum muisp_stats_attr {
	MUISP_STATS_A_UNSPEC,
	MUISP_STATS_A_PAD,
	MUISP_STATS_A_DROPS,		/* nest, [enum muisp_drop_reason] u64 */
	MUISP_STATS_A_UP_PACKETS,	/* u64 */
	MUISP_STATS_A_UP_BYTES,		/* u64 */
	MUISP_STATS_A_DOWN_PACKETS,	/* u64 */
	MUISP_STATS_A_DOWN_BYTES,	/* u64 */
	MUISP_STATS_A_LOCAL_PACKETS,	/* u64 */
	MUISP_STATS_A_GARDEN_PACKETS,	/* u64 */
	MUISP_STATS_A_FLOWS,		/* u32 */
	MUISP_STATS_A_MAX_FLOWS,	/* u32 */
	MUISP_STATS_A_EVICTIONS,	/* u64 */
	MUISP_STATS_A_FLOW_RECORDS,	/* u64 */
	MUISP_STATS_A_RECORDS_LOST,	/* u64 */
	MUISP_STATS_A_EVENTS,		/* u64 */
	MUISP_STATS_A_EVENTS_LOST,	/* u64 */
	MUISP_STATS_A_ADDRS,		/* u32 */
	MUISP_STATS_A_CONTRACTS,	/* u32 */
	MUISP_STATS_A_FLOWS_UNMETERED,	/* u64 */
	MUISP_STATS_A_CONN_HELD,	/* u64 */
	MUISP_STATS_A_CONN_REQUESTS,	/* u64 */
	__MUISP_STATS_A_LAST
};
#define MUISP_STATS_A_MAX (__MUISP_STATS_A_LAST - 1)

enum muisp_event_attr {
	MUISP_EVENT_A_UNSPEC,
	MUISP_EVENT_A_PAD,
	MUISP_EVENT_A_TYPE,		/* u8, enum muisp_event_type */
	MUISP_EVENT_A_TIME_MS,		/* u64, CLOCK_REALTIME */
	MUISP_EVENT_A_CONTRACT_ID,	/* u32 */
	MUISP_EVENT_A_STATUS,		/* u8, enum muisp_contract_status */
	MUISP_EVENT_A_USED,		/* u64 */
	MUISP_EVENT_A_LIMIT,		/* u64 */
	MUISP_EVENT_A_ADDR,		/* binary 4 or 16 */
	MUISP_EVENT_A_OLD_STATE,	/* u8, enum muisp_addr_state */
	MUISP_EVENT_A_NEW_STATE,	/* u8, enum muisp_addr_state */
	MUISP_EVENT_A_CONTRACT_ID64,	/* u64, CONTRACT_ID widened */
	__MUISP_EVENT_A_LAST
};
#define MUISP_EVENT_A_MAX (__MUISP_EVENT_A_LAST - 1)

enum muisp_agent_attr {
	MUISP_AGENT_A_UNSPEC,
	MUISP_AGENT_A_PAD,
	MUISP_AGENT_A_ID,		/* u32, output */
	MUISP_AGENT_A_ADDR,		/* binary 4 or 16 */
	/* binary MUISP_AGENT_KEY_LEN, input only, never in a reply */
	MUISP_AGENT_A_KEY,
	MUISP_AGENT_A_KEY_ID,		/* u32 */
	MUISP_AGENT_A_OPENED,		/* u64, output */
	MUISP_AGENT_A_FORGED,		/* u64, output */
	MUISP_AGENT_A_REPLAYED,		/* u64, output */
	MUISP_AGENT_A_BLOCKED,		/* u64, output */
	MUISP_AGENT_A_REDIRECTS,	/* u64, output */
	MUISP_AGENT_A_ROLLBACKS,	/* u64, output */
	MUISP_AGENT_A_QUERIES,		/* u64, output */
	/*
	 * u16, the host answers out of band (thesis ch. 5): the NFQUEUE number
	 * its new flows are held on until MUISP_CMD_AGENT_FLOW_SET names
	 * their user
	 */
	MUISP_AGENT_A_HOLD_QUEUE,
	MUISP_AGENT_A_HELD,		/* u64, output */
	MUISP_AGENT_A_ANSWERED,		/* u64, output */
	/* u8, input (agent-flow-set), IPPROTO_TCP or IPPROTO_UDP */
	MUISP_AGENT_A_PROTO,
	/* u16, input (agent-flow-set), the host's port */
	MUISP_AGENT_A_PORT,
	/* binary 4 or 16, input (agent-flow-set), the far end's address */
	MUISP_AGENT_A_PEER,
	/* u16, input (agent-flow-set), the far end's port */
	MUISP_AGENT_A_PEER_PORT,
	/* u32, input (agent-flow-set), the Accounting ID; 0 the host's own */
	MUISP_AGENT_A_USER,
	MUISP_AGENT_A_SCHEME,		/* u8, enum muisp_agent_scheme */
	/* u64, output, Acknowledgments put in packets to the host */
	MUISP_AGENT_A_ACKS,
	__MUISP_AGENT_A_LAST
};
#define MUISP_AGENT_A_MAX (__MUISP_AGENT_A_LAST - 1)

enum muisp_user_attr {
	MUISP_USER_A_UNSPEC,
	MUISP_USER_A_PAD,
	MUISP_USER_A_ID,		/* u32, output */
	MUISP_USER_A_ADDR,		/* binary 4 or 16 */
	/* u32, the Accounting ID the agent seals */
	MUISP_USER_A_USER,
	MUISP_USER_A_CONTRACT_ID,	/* u32 */
	MUISP_USER_A_CONTRACT_STATUS,	/* u8, output */
	MUISP_USER_A_CONTRACT_ID64,	/* u64, CONTRACT_ID widened */
	/* u64, output: the contract's, from the LAN */
	MUISP_USER_A_UP_BYTES,
	MUISP_USER_A_UP_PACKETS,	/* u64, output */
	/* u64, output: the contract's, to the LAN */
	MUISP_USER_A_DOWN_BYTES,
	MUISP_USER_A_DOWN_PACKETS,	/* u64, output */
	/* u64, input (user-usage-move), the usage record's number */
	MUISP_USER_A_USAGE_SEQ,
	__MUISP_USER_A_LAST
};
#define MUISP_USER_A_MAX (__MUISP_USER_A_LAST - 1)

enum muisp_tag_attr {
	MUISP_TAG_A_UNSPEC,
	MUISP_TAG_A_PAD,
	MUISP_TAG_A_IFINDEX,	/* u32 */
	/* binary MUISP_AGENT_KEY_LEN, input only, never in a reply */
	MUISP_TAG_A_KEY,
	MUISP_TAG_A_KEY_ID,	/* u32 */
	MUISP_TAG_A_METHOD,	/* u8, enum muisp_tag_method */
	MUISP_TAG_A_TAGGED,	/* u64, output */
	MUISP_TAG_A_SKIPPED,	/* u64, output */
	MUISP_TAG_A_BLOCKED,	/* u64, output */
	MUISP_TAG_A_DENIED,	/* u64, output */
	MUISP_TAG_A_SPOOFED,	/* u64, output */
	MUISP_TAG_A_REDIRECTED,	/* u64, output */
	MUISP_TAG_A_QUERIED,	/* u64, output */
	MUISP_TAG_A_CLAMPED,	/* u64, output */
	/*
	 * u64, output, REPORT's reports sent (those that could not be are skipped)
	 */
	MUISP_TAG_A_REPORTED,
	/*
	 * u64, output, the meter's Acknowledgments that ended a FLOW flow's tags
	 */
	MUISP_TAG_A_ACKED,
	/* u64, output, Acknowledgments whose seal did not open (ignored) */
	MUISP_TAG_A_ACK_FORGED,
	__MUISP_TAG_A_LAST
};
#define MUISP_TAG_A_MAX (__MUISP_TAG_A_LAST - 1)

enum muisp_tag_user_attr {
	MUISP_TAG_USER_A_UNSPEC,
	MUISP_TAG_USER_A_UID,		/* u32 */
	MUISP_TAG_USER_A_USER,		/* u32, the Accounting ID */
	MUISP_TAG_USER_A_BLOCKED,	/* u8, 0/1 */
	MUISP_TAG_USER_A_ADDR,		/* binary 4 or 16 */
	MUISP_TAG_USER_A_SENT_BYTES,	/* u64, output */
	MUISP_TAG_USER_A_SENT_PACKETS,	/* u64, output */
	MUISP_TAG_USER_A_RECV_BYTES,	/* u64, output */
	MUISP_TAG_USER_A_RECV_PACKETS,	/* u64, output */
	MUISP_TAG_USER_A_PAD,
	__MUISP_TAG_USER_A_LAST
};
#define MUISP_TAG_USER_A_MAX (__MUISP_TAG_USER_A_LAST - 1)

enum muisp_tag_report_attr {
	MUISP_TAG_REPORT_A_UNSPEC,
	MUISP_TAG_REPORT_A_UID,		/* u32 */
	MUISP_TAG_REPORT_A_USER,	/* u32, the Accounting ID */
	MUISP_TAG_REPORT_A_PROTO,	/* u8, IPPROTO_TCP or IPPROTO_UDP */
	/* binary 4 or 16, the packet's source, the host's address */
	MUISP_TAG_REPORT_A_ADDR,
	MUISP_TAG_REPORT_A_PORT,	/* u16, its source port */
	MUISP_TAG_REPORT_A_PEER,	/* binary 4 or 16, its destination */
	MUISP_TAG_REPORT_A_PEER_PORT,	/* u16 */
	/* u32, IP bytes as on the wire, each GSO segment with its headers */
	MUISP_TAG_REPORT_A_BYTES,
	MUISP_TAG_REPORT_A_PACKETS,	/* u32, 1, or a GSO packet's segments */
	__MUISP_TAG_REPORT_A_LAST
};
#define MUISP_TAG_REPORT_A_MAX (__MUISP_TAG_REPORT_A_LAST - 1)

#endif /* _UAPI_MUISP_H */
