import { z } from 'zod'

/** Field rules shared by several endpoints. Length caps keep hostile input cheap to reject. */
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
