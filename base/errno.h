// SPDX-License-Identifier: GPL-2.0
// Linux errno values (ABI constants), so that the core can name them without
// libc or kernel headers. Positive, as in <asm-generic/errno*.h>.
#pragma once

namespace ovsdp::err {
inline constexpr int PERM = 1;
inline constexpr int NOENT = 2;
inline constexpr int SRCH = 3;
inline constexpr int INTR = 4;
inline constexpr int IO = 5;
inline constexpr int NXIO = 6;
inline constexpr int TOOBIG = 7; // E2BIG
inline constexpr int BADF = 9;
inline constexpr int AGAIN = 11;
inline constexpr int NOMEM = 12;
inline constexpr int ACCES = 13;
inline constexpr int FAULT = 14;
inline constexpr int BUSY = 16;
inline constexpr int EXIST = 17;
inline constexpr int NODEV = 19;
inline constexpr int INVAL = 22;
inline constexpr int NFILE = 23;
inline constexpr int FBIG = 27;
inline constexpr int NOSPC = 28;
inline constexpr int RANGE = 34;
inline constexpr int NAMETOOLONG = 36;
inline constexpr int NOSYS = 38;
inline constexpr int NOTEMPTY = 39;
inline constexpr int LOOP = 40;
inline constexpr int NOMSG = 42;
inline constexpr int BADMSG = 74;
inline constexpr int OVERFLOW = 75;
inline constexpr int MSGSIZE = 90;
inline constexpr int PROTONOSUPPORT = 93;
inline constexpr int OPNOTSUPP = 95;
inline constexpr int AFNOSUPPORT = 97;
inline constexpr int ADDRINUSE = 98;
inline constexpr int NOBUFS = 105;
inline constexpr int NOTCONN = 107;
inline constexpr int TIMEDOUT = 110;
} // namespace ovsdp::err
