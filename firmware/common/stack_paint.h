/* SPDX-License-Identifier: Apache-2.0 */
/* Stack painting: the stack region is filled with a pattern, and untouched words still hold it.
 * Plain hex (no U suffix) so assembly start-up code can use it too; in C it is an unsigned int. */
#ifndef TF_STACK_PAINT_H
#define TF_STACK_PAINT_H

#define TF_STACK_PATTERN 0xC0FFEE55
#define TF_STACK_PATTERN_TEXT "0xC0FFEE55"

#endif
