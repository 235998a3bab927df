#!/usr/bin/env node
import { hideBin } from 'yargs/helpers';
import { main } from './parser.ts';

await main(hideBin(process.argv));
