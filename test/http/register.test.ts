import test from 'ava'
import { eachDatabase } from '../helpers/each-database.js'
import { PROVIDERS } from '../helpers/databases.js'
import { PASSWORD, TestLatch, uniqueEmail } from '../helpers/latch.js'

/** POST /register: self-service accounts with a NIST SP 800-63B password policy. */
eachDatabase((provider, server) => {
  test(`${provider}: registering returns 201 with the id and the normalised email`, async (t) => {
    const email = uniqueEmail()
    const response = await server().post('/register', { email: `  ${email.toUpperCase()} `.trim(), password: PASSWORD })
    t.is(response.status, 201, response.text)
    t.regex(response.body.id, /^[0-9a-f-]{36}$/)
    t.is(response.body.email, email)
    t.deepEqual(Object.keys(response.body).sort(), ['email', 'id'])
  })

  test(`${provider}: the stored password is an argon2id hash with at least OWASP's parameters`, async (t) => {
    const email = uniqueEmail()
    await server().post('/register', { email, password: PASSWORD })
    const user = await server().latch.database.prisma.user.findUniqueOrThrow({ where: { email } })
    t.regex(user.passwordHash, /^\$argon2id\$v=19\$m=\d+,p=1,t=\d+\$/)
    const [, memory, iterations] = /m=(\d+),p=1,t=(\d+)/.exec(user.passwordHash)!
    t.true(Number(memory) >= 19_456 && Number(iterations) >= 2)
    t.false(user.passwordHash.includes(PASSWORD))
  })

  test(`${provider}: an email registered twice, in any letter case, is refused with 409 email_taken`, async (t) => {
    const email = uniqueEmail()
    t.is((await server().post('/register', { email, password: PASSWORD })).status, 201)
    const again = await server().post('/register', { email: email.toUpperCase(), password: PASSWORD })
    t.is(again.status, 409)
    t.deepEqual(again.body, { error: 'email_taken', error_description: 'An account with this email address already exists.' })
  })

  test(`${provider}: passwords must be 8 to 256 characters, counted in code points, with no composition rules`, async (t) => {
    const cases: Array<[string, number]> = [
      ['short12', 400],
      ['a'.repeat(257), 400],
      ['aaaaaaaa', 201],
      ['🔒'.repeat(8), 201],
      ['é'.repeat(256), 201],
    ]
    for (const [password, status] of cases) {
      const response = await server().post('/register', { email: uniqueEmail(), password })
      t.is(response.status, status, `${[...password].length} code points`)
      if (status === 400) {
        t.is(response.body.error, 'invalid_request')
        t.regex(response.body.error_description, /password must be between 8 and 256 characters/)
      }
    }
  })

  test(`${provider}: an invalid email is refused with 400 invalid_request naming the field`, async (t) => {
    const response = await server().post('/register', { email: 'not-an-email', password: PASSWORD })
    t.is(response.status, 400)
    t.is(response.body.error, 'invalid_request')
    t.regex(response.body.error_description, /^email: /)
  })
})

for (const provider of PROVIDERS) {
  test(`${provider}: registration can be closed by configuration (403 registration_closed)`, async (t) => {
    const server = await TestLatch.start(provider, { env: { LATCH_REGISTRATION: 'closed' } })
    t.teardown(() => server.close())
    const response = await server.post('/register', { email: uniqueEmail(), password: PASSWORD })
    t.is(response.status, 403)
    t.is(response.body.error, 'registration_closed')
    t.is(await server.latch.database.prisma.user.count(), 0)
  })
}
