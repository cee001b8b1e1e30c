import { z } from 'zod'

/** Field rules shared by several endpoints. Length caps keep hostile input cheap to reject. */

/**
 * No control characters (C0, DEL, C1) in text that is stored or looked up: PostgreSQL cannot
 * store a NUL at all, and none of them belongs in an id, a search or a reason.
 */
export const WITHOUT_CONTROL_CHARACTERS = /^[^\u0000-\u001f\u007f-\u009f]*$/
export const CONTROL_CHARACTERS_ERROR = 'must not contain control characters'

/** Free text that is stored or searched for, of at most `max` characters. */
export const Text = (max: number) =>
  z
    .string({ error: 'must be given once' })
    .max(max, { error: `must be at most ${max} characters` })
    .regex(WITHOUT_CONTROL_CHARACTERS, { error: CONTROL_CHARACTERS_ERROR })

/** A client_id as a client names itself; looked up, so never with control characters. */
export const ClientId = z
  .string({ error: 'must be a string' })
  .min(1, { error: 'must not be empty' })
  .max(256, { error: 'must be at most 256 characters' })
  .regex(WITHOUT_CONTROL_CHARACTERS, { error: CONTROL_CHARACTERS_ERROR })

export const Email = z.email({ error: 'must be an email address' }).max(254, { error: 'must be at most 254 characters' })

/** Only presence and an upper bound here; the password policy proper lives in the domain. */
export const Password = z
  .string({ error: 'is required and must be a string' })
  .min(1, { error: 'is required' })
  .max(1024, { error: 'must be at most 1024 characters' })

export const RefreshToken = z
  .string({ error: 'is required and must be a string' })
  .min(1, { error: 'is required' })
  .max(512, { error: 'must be at most 512 characters' })
