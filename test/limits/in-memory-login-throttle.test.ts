import test from 'ava'
import { addressKey } from '../../src/limits/in-memory-login-throttle.js'

/** The login throttle counts one client's addresses together: an IPv6 address by its /64. */

test('IPv4 addresses count as they are, also when IPv4-mapped', (t) => {
  t.is(addressKey('203.0.113.7'), '203.0.113.7')
  t.is(addressKey('::ffff:203.0.113.7'), '203.0.113.7')
  t.is(addressKey('::FFFF:203.0.113.7'), '203.0.113.7')
})

test('IPv6 addresses count by their /64, however they are written', (t) => {
  const key = '2001:db8:1:2::/64'
  for (const address of ['2001:db8:1:2::a', '2001:db8:1:2:ffff:ffff:ffff:ffff', '2001:0db8:0001:0002:0:0:0:1', '2001:DB8:1:2::1.2.3.4']) t.is(addressKey(address), key, address)
  t.is(addressKey('2001:db8:1:3::a'), '2001:db8:1:3::/64')
  t.is(addressKey('::1'), '0:0:0:0::/64')
  t.is(addressKey('fe80::1'), 'fe80:0:0:0::/64')
})
