#!/bin/sh
# A task handler program that prints something that is not JSON (and does
# not read its input).
echo 'this is not JSON'
