import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isPrivateAddress } from '../../core/download/address-policy.js';

const privateAddresses: Array<[address: string, what: string]> = [
  ['127.0.0.1', 'loopback'],
  ['127.255.255.254', 'loopback /8'],
  ['10.0.0.1', 'private 10/8'],
  ['10.255.255.255', 'private 10/8, last'],
  ['172.16.0.1', 'private 172.16/12, first'],
  ['172.31.255.255', 'private 172.16/12, last'],
  ['192.168.1.1', 'private 192.168/16'],
  ['169.254.169.254', 'cloud metadata'],
  ['169.254.0.1', 'link-local'],
  ['0.0.0.0', 'unspecified'],
  ['0.1.2.3', 'this network'],
  ['100.64.0.1', 'carrier-grade NAT, first'],
  ['100.127.255.255', 'carrier-grade NAT, last'],
  ['192.0.0.8', 'IETF protocol assignments'],
  ['198.18.0.1', 'benchmarking'],
  ['224.0.0.1', 'multicast'],
  ['255.255.255.255', 'broadcast'],
  ['::1', 'IPv6 loopback'],
  ['[::1]', 'bracketed IPv6 loopback'],
  ['0:0:0:0:0:0:0:1', 'IPv6 loopback, long form'],
  ['::', 'IPv6 unspecified'],
  ['fc00::1', 'unique local, fc'],
  ['fd12:3456:789a::1', 'unique local, fd'],
  ['fe80::1', 'link-local'],
  ['FE80::1', 'link-local, upper case'],
  ['febf::1', 'link-local, last /10'],
  ['fe80::1%eth0', 'link-local with a zone'],
  ['ff02::1', 'IPv6 multicast'],
  ['::ffff:127.0.0.1', 'IPv4-mapped loopback, dotted'],
  ['::ffff:7f00:1', 'IPv4-mapped loopback, hex'],
  ['::FFFF:10.0.0.1', 'IPv4-mapped private, upper case'],
  ['0:0:0:0:0:ffff:a9fe:a9fe', 'IPv4-mapped metadata, long form'],
  ['::127.0.0.1', 'IPv4-compatible loopback'],
  ['::a9fe:a9fe', 'IPv4-compatible metadata'],
  ['64:ff9b::127.0.0.1', 'NAT64 of loopback'],
  ['64:ff9b::10.1.2.3', 'NAT64 of private'],
  ['64:ff9b::a9fe:a9fe', 'NAT64 of metadata, hex'],
  ['64:ff9b:1::1', 'local-use NAT64'],
  ['localhost', 'a name, not an address'],
  ['example.com', 'a name, not an address'],
  ['', 'empty'],
  ['127.1', 'shorthand IPv4 (not an address literal)'],
  ['2130706433', 'decimal IPv4 (not an address literal)'],
];

const publicAddresses: Array<[address: string, what: string]> = [
  ['8.8.8.8', 'public IPv4'],
  ['1.1.1.1', 'public IPv4'],
  ['172.15.255.255', 'just below 172.16/12'],
  ['172.32.0.0', 'just above 172.16/12'],
  ['100.63.255.255', 'just below 100.64/10'],
  ['100.128.0.0', 'just above 100.64/10'],
  ['192.169.0.1', 'just above 192.168/16'],
  ['169.255.0.1', 'just above 169.254/16'],
  ['11.0.0.1', 'just above 10/8'],
  ['2606:4700::1111', 'public IPv6'],
  ['[2606:4700::1111]', 'bracketed public IPv6'],
  ['2001:4860:4860::8888', 'public IPv6'],
  ['fec0::1', 'just above fe80::/10'],
  ['::ffff:8.8.8.8', 'IPv4-mapped public'],
  ['64:ff9b::8.8.8.8', 'NAT64 of public'],
  ['64:ff9b::808:808', 'NAT64 of public, hex'],
];

describe('isPrivateAddress', () => {
  for (const [address, what] of privateAddresses) {
    test(`refused: ${address || '(empty)'} (${what})`, () => {
      assert.equal(isPrivateAddress(address), true);
    });
  }
  for (const [address, what] of publicAddresses) {
    test(`allowed: ${address} (${what})`, () => {
      assert.equal(isPrivateAddress(address), false);
    });
  }
});
