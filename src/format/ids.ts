/** Member ID formatting: etcdctl prints IDs as lower-case hex without zero padding. */
import type { Member, MemberId } from '../domain/types.js';

/** Decimal uint64 string -> etcdctl's hex form ("8e9e05c52164694d"). */
export function hexId(id: MemberId): string {
  try {
    return BigInt(id).toString(16);
  } catch {
    return id;
  }
}

/** Accepts decimal or hex (with or without 0x); returns the decimal string, or undefined. */
export function parseMemberId(text: string): MemberId | undefined {
  const t = text.trim().toLowerCase();
  try {
    if (/^0x[0-9a-f]+$/.test(t)) return BigInt(t).toString(10);
    if (/^[0-9a-f]+$/.test(t) && /[a-f]/.test(t)) return BigInt('0x' + t).toString(10);
    if (/^[0-9]+$/.test(t)) return BigInt(t).toString(10);
  } catch {
    return undefined;
  }
  return undefined;
}

/** A member's display name: its name, or "(unstarted <hex>)" for a member that never started. */
export function memberLabel(member: Pick<Member, 'id' | 'name'> | undefined, id?: MemberId): string {
  if (member?.name) return member.name;
  const raw = member?.id ?? id;
  if (!raw || raw === '0') return '-';
  return member ? `(unstarted ${hexId(raw)})` : hexId(raw);
}
