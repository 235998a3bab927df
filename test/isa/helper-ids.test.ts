import test from 'ava';
import { HELPER_NAMES, MAX_HELPER_ID, helperId, helperName } from '../../lib/isa/helper-ids.ts';

test('names helper ids as the kernel does, from 1 up to the frozen end of the list at 211', (t) => {
  t.is(HELPER_NAMES.length, 212);
  t.is(MAX_HELPER_ID, 211);
  t.is(helperName(1), 'bpf_map_lookup_elem');
  t.is(helperName(6), 'bpf_trace_printk');
  t.is(helperName(44), 'bpf_xdp_adjust_head');
  t.is(helperName(51), 'bpf_redirect_map');
  t.is(helperName(209), 'bpf_user_ringbuf_drain');
  t.is(helperName(211), 'bpf_cgrp_storage_delete');
});

test('has no name for id 0, negative, fractional or unknown ids', (t) => {
  for (const id of [0, -1, 1.5, 212, 100000]) t.is(helperName(id), undefined, String(id));
});

test('maps names back to ids with or without the bpf_ prefix', (t) => {
  t.is(helperId('bpf_map_lookup_elem'), 1);
  t.is(helperId('xdp_adjust_tail'), 65);
  t.is(helperId('unspec'), undefined);
  t.is(helperId('no_such_helper'), undefined);
  for (let id = 1; id <= MAX_HELPER_ID; id++) t.is(helperId(helperName(id)!), id);
});
