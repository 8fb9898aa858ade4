/* SPDX-License-Identifier: MIT */
/*
 * SMB1 messages (module extract), the commands that move files, reported in SMB2's terms
 * (extract/smb2.h) so one engine follows both: [MS-CIFS] 2.2.3.1 (the 32-byte header),
 * 2.2.4.64 (NT_CREATE_ANDX: the name; the FID and EndOfFile), 2.2.4.42 (READ_ANDX),
 * 2.2.4.43 (WRITE_ANDX), 2.2.4.5 (CLOSE), the AndX chain of 2.2.3.4, and [MS-SMB] 2.2.4.2 /
 * 2.2.4.3 (the high 16 bits of READ_ANDX and WRITE_ANDX data lengths). A pure function of one
 * message: no state, no allocation; every read is bounded by the message's length.
 */
#ifndef APC_EXTRACT_SMB1_H
#define APC_EXTRACT_SMB1_H

#include <stddef.h>
#include <stdint.h>

#include "extract/smb2.h"

/* Parses one SMB1 message msg[0..n) (0xFF 'S' 'M' 'B', after the 4-byte transport prefix) and
 * calls cb for each command of its AndX chain that moves files, as an SMB2 command: command
 * APC__SMB2_CREATE, _READ, _WRITE or _CLOSE; file_id the 16-bit FID in its first two bytes
 * (the rest zero); msg_id the MID, PID, UID and TID together (a reply carries its request's);
 * status the NTSTATUS, or the DOS error class and code (non-zero: failed). Returns
 * APC__SMB2_OK or APC__SMB2_MALFORMED (the commands before the bad one were reported). */
int apc__smb1_parse(const uint8_t *msg, size_t n,
                    void (*cb)(void *payload, const apc__smb2_cmd_t *cmd), void *payload);

#endif
