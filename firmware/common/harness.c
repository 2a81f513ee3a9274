/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The device harness: it answers the framed request/response protocol of docs/protocol.md on the
 * board's console, running the generated model on inputs the host writes and reporting counters
 * and memory. One harness serves every board; platform.h is all it uses from one.
 *
 * Every request carries a sequence number. The answer to the last request is kept, and a request
 * with the same command and sequence number is answered from it without running again: a host
 * that retries after a lost answer never runs an INVOKE twice. HELLO always runs and clears that
 * memory (a new host session starts with it).
 *
 * Build-time facts come as -D flags from the build (src/lab/toolchain/firmware.ts): TF_TARGET_NAME,
 * TF_BOARD_NAME and TF_CORE_CLOCK_HZ here; TF_BUILD_ID and, when the host knows the arena plan,
 * TF_HARNESS_INPUT0_ARENA_OFFSET (the arena offset of input 0, from which the arena is found:
 * it enables arena painting for "arena used" and READ_TENSOR) in harness_model.c, the one unit that
 * includes the model's header. -DTF_PROFILE adds per-layer counters and INVOKE's stop-after-layer.
 */
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include "tf_bytes.h"

/* the model's facts and API, from harness_model.c: this unit includes no model header */
#include "harness_model.h"
#include "platform.h"
#include "tf_frame.h"

#define PROTOCOL_VERSION 1u

#ifndef TF_TARGET_NAME
#define TF_TARGET_NAME "unknown"
#endif
#ifndef TF_BOARD_NAME
#define TF_BOARD_NAME "unknown"
#endif
#ifndef TF_CORE_CLOCK_HZ
#define TF_CORE_CLOCK_HZ 0u
#endif

enum command {
  CMD_HELLO = 0x01,
  CMD_WRITE_INPUT = 0x02,
  CMD_INVOKE = 0x03,
  CMD_READ_OUTPUT = 0x04,
  CMD_READ_LAYERS = 0x05,
  CMD_READ_MEMORY = 0x06,
  CMD_RESET_STATE = 0x07,
  CMD_READ_TENSOR = 0x08,
  CMD_END = 0x09,
  CMD_INVOKE_STEP = 0x0A,
};
#define RESPONSE_BIT 0x80u
#define CMD_NACK 0xFFu

enum status {
  ST_OK = 0,
  ST_BAD_CRC = 1,
  ST_BAD_VERSION = 2,
  ST_UNKNOWN_COMMAND = 3,
  ST_BAD_LENGTH = 4,
  ST_OUT_OF_RANGE = 5,
  ST_NOT_SUPPORTED = 6,
  ST_MODEL_FAILED = 7,
};

#define FLAG_PROFILE 0x01u
#define FLAG_ARENA 0x02u
#define NO_STOP 0xFFFFu
#define LAYER_HEADER_BYTES 22u
#define CALIBRATION_PAIRS 64u
#define ARENA_PATTERN 0xA5u
#define UNKNOWN_BYTES 0xFFFFFFFFu

/* ---- little-endian payload access ---- */

static void put_u16(uint8_t *at, uint32_t v) {
  at[0] = (uint8_t)v;
  at[1] = (uint8_t)(v >> 8);
}
static void put_u32(uint8_t *at, uint32_t v) {
  put_u16(at, v & 0xffffu);
  put_u16(at + 2, v >> 16);
}
static void put_u64(uint8_t *at, uint64_t v) {
  put_u32(at, (uint32_t)v);
  put_u32(at + 4, (uint32_t)(v >> 32));
}
static uint32_t get_u16(const uint8_t *at) { return (uint32_t)at[0] | ((uint32_t)at[1] << 8); }
static uint32_t get_u32(const uint8_t *at) { return get_u16(at) | (get_u16(at + 2) << 16); }

/* ---- the arena, when the build told us where it is ---- */

/* NULL where the build does not know where the arena is (harness_model.h) */
static uint8_t *arena_base(void) { return tf_harness_arena_base(); }

/* Highest arena byte written so far + 1, found by painting the arena at boot. */
static uint32_t arena_high_water;

static void arena_paint(void) {
  if (arena_base()) tf_fill_bytes(arena_base(), ARENA_PATTERN, tf_harness_arena_bytes);
}

static void arena_scan(void) {
  const uint8_t *arena = arena_base();
  if (!arena) return;
  uint32_t top = tf_harness_arena_bytes;
  while (top > arena_high_water && arena[top - 1u] == ARENA_PATTERN) top--;
  if (top > arena_high_water) arena_high_water = top;
}

/* ---- per-layer counters (model.c calls the hooks when built with -DTF_PROFILE) ---- */

/* slot tf_harness_num_layers is the empty layer the hooks' own cost is measured with */
#define layer_ticks tf_harness_layer_ticks
static uint64_t layer_started_at;
static int stop_after_layer = -1;
static jmp_buf stop_jump;

/* INVOKE_STEP: one inference paused after chosen layers, the arena read while it waits (see pause_after) */
static int stepping;
/* a request that is neither a read nor a step came while paused: the inference was abandoned for it */
static int step_abandoned;
static void pause_after(int layer);

#ifdef TF_PROFILE
struct calibration {
  uint32_t pairs;
  uint32_t pair_ticks;   /* counter read, begin, end, counter read: as the invoke's total sees the hooks */
  uint32_t empty_ticks;  /* counter read, counter read */
  uint32_t inside_ticks; /* what an empty layer records: the part of the hooks inside every layer figure */
};
static struct calibration calibration;
#endif

void tf_profile_layer_begin(int layer) {
  (void)layer;
  layer_started_at = tf_counter_now();
}

void tf_profile_layer_end(int layer) {
  uint64_t now = tf_counter_now();
  if (layer >= 0 && layer <= tf_harness_num_layers) layer_ticks[layer] += now - layer_started_at;
#if defined(TF_TEST_CORRUPT_LAYER)
  /* Test builds only: a layer whose kernel "computes" one wrong byte, for the validate tests. */
  if (layer == TF_TEST_CORRUPT_LAYER && arena_base()) arena_base()[TF_TEST_CORRUPT_OFFSET] ^= 0x40u;
#endif
  if (layer == stop_after_layer) {
    if (stepping)
      pause_after(layer);
    else
      longjmp(stop_jump, 1);
  }
}

static void calibrate_hooks(void) {
#ifdef TF_PROFILE
  uint64_t pair = 0, empty = 0;
  layer_ticks[tf_harness_num_layers] = 0;
  for (unsigned i = 0; i < CALIBRATION_PAIRS; i++) {
    uint64_t t0 = tf_counter_now();
    uint64_t t1 = tf_counter_now();
    tf_profile_layer_begin(tf_harness_num_layers);
    tf_profile_layer_end(tf_harness_num_layers);
    uint64_t t2 = tf_counter_now();
    empty += t1 - t0;
    pair += t2 - t1;
  }
  calibration.pairs = CALIBRATION_PAIRS;
  calibration.pair_ticks = (uint32_t)pair;
  calibration.empty_ticks = (uint32_t)empty;
  calibration.inside_ticks = (uint32_t)layer_ticks[tf_harness_num_layers];
#endif
}

/* ---- model I/O seen as one byte range: all inputs (or outputs) concatenated in order ---- */

static uint32_t io_total(int inputs) {
  uint32_t total = 0;
  int n = inputs ? tf_harness_num_inputs : tf_harness_num_outputs;
  for (int i = 0; i < n; i++) total += (uint32_t)(inputs ? tf_harness_model_input_bytes(i) : tf_harness_model_output_bytes(i));
  return total;
}

/* Copies between `bytes` and the range [offset, offset + length) of the concatenated tensors. */
static int io_copy(int inputs, uint32_t offset, uint8_t *bytes, uint32_t length) {
  if (offset > io_total(inputs) || length > io_total(inputs) - offset) return ST_OUT_OF_RANGE;
  uint32_t start = 0;
  int n = inputs ? tf_harness_num_inputs : tf_harness_num_outputs;
  for (int i = 0; i < n && length > 0u; i++) {
    uint32_t size = (uint32_t)(inputs ? tf_harness_model_input_bytes(i) : tf_harness_model_output_bytes(i));
    uint8_t *tensor = (uint8_t *)(inputs ? tf_harness_model_input(i) : tf_harness_model_output(i));
    if (offset < start + size) {
      uint32_t within = offset - start;
      uint32_t take = size - within < length ? size - within : length;
      if (inputs)
        tf_copy_bytes(tensor + within, bytes, take);
      else
        tf_copy_bytes(bytes, tensor + within, take);
      bytes += take;
      offset += take;
      length -= take;
    }
    start += size;
  }
  return ST_OK;
}

/* ---- requests ---- */

static uint8_t response[TF_FRAME_MAX_PAYLOAD];
static size_t response_length;
static size_t stack_high_water;
static size_t stack_invoke;
static uint16_t last_runs;

static void answer(uint8_t status) {
  response[0] = status;
  response_length = 1;
}

static size_t put_string(uint8_t *at, const char *text) {
  const size_t length = tf_text_length(text, 40u);
  at[0] = (uint8_t)length;
  tf_copy_bytes(at + 1, text, length);
  return length + 1u;
}

#ifdef TF_PLATFORM_IMAGE
/* The default: the platform does not know its image (platform.h); a platform that does overrides it. */
__attribute__((weak)) int tf_platform_image(const uint8_t **start, uint32_t *bytes, uint32_t *crc) {
  (void)start;
  (void)bytes;
  (void)crc;
  return 0;
}

/* The image's start, length and CRC, asked for at the first HELLO (flash does not change after). */
static int image_known;
static uint32_t image_start, image_bytes, image_crc;
#endif

static void do_hello(void) {
  answer(ST_OK);
  response[1] = PROTOCOL_VERSION;
#ifdef TF_PROFILE
  response[2] = FLAG_PROFILE;
#else
  response[2] = 0;
#endif
  if (arena_base()) response[2] |= FLAG_ARENA;
  response[3] = 0;
  put_u16(response + 4, TF_FRAME_MAX_PAYLOAD);
  put_u32(response + 6, (uint32_t)(TF_CORE_CLOCK_HZ));
  put_u64(response + 10, tf_harness_build_id);
  put_u32(response + 18, (uint32_t)tf_harness_arena_bytes);
  response[22] = (uint8_t)tf_harness_num_inputs;
  response[23] = (uint8_t)tf_harness_num_outputs;
  put_u16(response + 24, (uint32_t)tf_harness_num_layers);
  put_u32(response + 26, io_total(1));
  put_u32(response + 30, io_total(0));
  size_t at = 34;
  at += put_string(response + at, TF_TARGET_NAME);
  at += put_string(response + at, TF_BOARD_NAME);
  at += put_string(response + at, tf_harness_model_name);
  at += put_string(response + at, tf_counter_name);
#ifdef TF_PLATFORM_IMAGE
  if (image_known == 0) {
    const uint8_t *start = 0;
    image_known = tf_platform_image(&start, &image_bytes, &image_crc) ? 1 : -1;
    image_start = (uint32_t)(uintptr_t)start;
  }
  if (image_known > 0) {
    put_u32(response + at, image_crc);
    put_u32(response + at + 4, image_start);
    put_u32(response + at + 8, image_bytes);
    at += 12;
  }
#endif
  response_length = at;
}

static void fold_stack_high_water(void) {
  size_t so_far = tf_stack_high_water();
  if (so_far > stack_high_water) stack_high_water = so_far;
}

/* One inference; with `stop` >= 0 the end hook of that layer jumps back here, ending it early.
 * Kept apart so that no caller's variable lives across the setjmp. */
static int __attribute__((noinline)) invoke_once(int stop) {
  volatile int status = 0;
  stop_after_layer = stop;
  if (setjmp(stop_jump) == 0) status = tf_harness_model_invoke();
  stop_after_layer = -1;
  return status;
}

/* Runs the model `count` times (or once up to the end of layer `stop`), timing each run. */
static void do_invoke(const tf_frame_t *request) {
  if (request->length != 4u) {
    answer(ST_BAD_LENGTH);
    return;
  }
  const uint32_t count = get_u16(request->payload);
  const uint32_t stop = get_u16(request->payload + 2);
  if (count == 0u) {
    answer(ST_OUT_OF_RANGE);
    return;
  }
#ifndef TF_PROFILE
  if (stop != NO_STOP) {
    answer(ST_NOT_SUPPORTED);
    return;
  }
#else
  if (stop != NO_STOP && stop >= (uint32_t)tf_harness_num_layers) {
    answer(ST_OUT_OF_RANGE);
    return;
  }
#endif
  tf_fill_bytes(layer_ticks, 0, sizeof layer_ticks[0] * ((size_t)tf_harness_num_layers + 1u));
  uint64_t total = 0, first = 0, min = UINT64_MAX, max = 0;

  /* Repainting forgets how deep earlier code went, so fold that in first. */
  fold_stack_high_water();
  const uintptr_t mark = tf_stack_pointer();
  tf_stack_repaint_free();

  for (uint32_t run = 0; run < count; run++) {
    const uint64_t started = tf_counter_now();
    const int status = invoke_once(stop == NO_STOP ? -1 : (int)stop);
    const uint64_t ticks = tf_counter_now() - started;
    if (status != 0) {
      answer(ST_MODEL_FAILED);
      put_u16(response + 1, run);
      response_length = 3;
      return;
    }
    total += ticks;
    if (run == 0u) first = ticks;
    if (ticks < min) min = ticks;
    if (ticks > max) max = ticks;
  }
  size_t depth = tf_stack_used_below(mark);
  if (depth > stack_invoke) stack_invoke = depth;
  fold_stack_high_water();
  arena_scan();
  last_runs = (uint16_t)count;

  answer(ST_OK);
  put_u16(response + 1, count);
  put_u64(response + 3, total);
  put_u64(response + 11, first);
  put_u64(response + 19, min);
  put_u64(response + 27, max);
  response_length = 35;
}

static tf_frame_t request;
static void dispatch(const tf_frame_t *request);

/* The answer to `request` (the frame last received), with what `response` holds. */
static void send_response(void) {
  tf_frame_send(PROTOCOL_VERSION, (uint8_t)(request.command | RESPONSE_BIT), request.sequence, response, response_length);
}

/* Waits for the next well-formed request of this protocol version into `request`; frames that fail
 * their CRC are NACKed, over-long ones and other versions refused, each answered here. */
static void receive_request(void) {
  for (;;) {
    const tf_frame_status_t received = tf_frame_receive(&request);
    if (received == TF_FRAME_BAD_CRC) {
      const uint8_t nack = ST_BAD_CRC;
      tf_frame_send(PROTOCOL_VERSION, CMD_NACK, request.sequence, &nack, 1);
      continue;
    }
    const uint8_t reply = (uint8_t)(request.command | RESPONSE_BIT);
    if (received == TF_FRAME_TOO_LONG) {
      const uint8_t status = ST_BAD_LENGTH;
      tf_frame_send(PROTOCOL_VERSION, reply, request.sequence, &status, 1);
      continue;
    }
    if (request.version != PROTOCOL_VERSION) {
      const uint8_t answer_bytes[2] = {ST_BAD_VERSION, PROTOCOL_VERSION};
      tf_frame_send(PROTOCOL_VERSION, reply, request.sequence, answer_bytes, 2);
      continue;
    }
    return;
  }
}

/* INVOKE_STEP's answer: status OK and the layer the inference waits after (NO_STOP: it ended). */
static void answer_step(uint32_t layer) {
  answer(ST_OK);
  put_u16(response + 1, layer);
  response_length = 3;
}

/*
 * Paused after `layer` in an INVOKE_STEP inference: answer the step, then serve requests from here,
 * inside the layer hook, so the arena stays as the layer left it. Reads (READ_TENSOR, READ_OUTPUT,
 * READ_MEMORY, HELLO) are answered; INVOKE_STEP with a later layer (or NO_STOP) continues the
 * inference to there; anything else abandons it (longjmp back to invoke_once) and is then served by
 * the main loop. A repeated request (same command and sequence: its answer was lost) is answered again.
 */
static void pause_after(int layer) {
  answer_step((uint32_t)layer);
  send_response();
  for (;;) {
    const uint8_t previous_command = request.command, previous_sequence = request.sequence;
    receive_request();
    if (request.command == previous_command && request.sequence == previous_sequence) {
      send_response();
      continue;
    }
    switch (request.command) {
    case CMD_HELLO:
    case CMD_READ_TENSOR:
    case CMD_READ_OUTPUT:
    case CMD_READ_MEMORY:
      dispatch(&request);
      send_response();
      continue;
    case CMD_INVOKE_STEP: {
      const uint32_t stop = request.length == 2u ? get_u16(request.payload) : 0u;
      if (request.length != 2u) {
        answer(ST_BAD_LENGTH);
      } else if (stop == NO_STOP || (stop > (uint32_t)layer && stop < (uint32_t)tf_harness_num_layers)) {
        /* on to the next pause, or to the end: the answer is sent from there */
        stop_after_layer = stop == NO_STOP ? -1 : (int)stop;
        return;
      } else {
        answer(ST_OUT_OF_RANGE);
      }
      send_response();
      continue;
    }
    default:
      step_abandoned = 1;
      longjmp(stop_jump, 1);
    }
  }
}

/*
 * INVOKE_STEP (profile builds): one inference from the inputs as they are, paused after layer `stop`
 * (pause_after); it ends when a step asks for NO_STOP. No counts: the pauses are in the timing.
 */
static void do_invoke_step(const tf_frame_t *step) {
#ifndef TF_PROFILE
  (void)step;
  answer(ST_NOT_SUPPORTED);
#else
  if (step->length != 2u) {
    answer(ST_BAD_LENGTH);
    return;
  }
  const uint32_t stop = get_u16(step->payload);
  if (stop != NO_STOP && stop >= (uint32_t)tf_harness_num_layers) {
    answer(ST_OUT_OF_RANGE);
    return;
  }
  stepping = 1;
  step_abandoned = 0;
  const int status = invoke_once(stop == NO_STOP ? -1 : (int)stop);
  stepping = 0;
  if (step_abandoned) return; /* the main loop serves the request that abandoned it */
  if (status != 0) {
    answer(ST_MODEL_FAILED);
    return;
  }
  answer_step(NO_STOP);
#endif
}

static void do_write_input(const tf_frame_t *request) {
  if (request->length < 4u) {
    answer(ST_BAD_LENGTH);
    return;
  }
  uint8_t *data = (uint8_t *)request->payload + 4;
  answer((uint8_t)io_copy(1, get_u32(request->payload), data, request->length - 4u));
}

/* READ_OUTPUT and READ_TENSOR: offset u32, length u16; the answer carries the bytes. */
static int read_range(const tf_frame_t *request, uint32_t *offset, uint32_t *length) {
  if (request->length != 6u) return ST_BAD_LENGTH;
  *offset = get_u32(request->payload);
  *length = get_u16(request->payload + 4);
  if (*length > TF_FRAME_MAX_PAYLOAD - 1u) return ST_BAD_LENGTH;
  return ST_OK;
}

static void do_read_output(const tf_frame_t *request) {
  uint32_t offset, length;
  int status = read_range(request, &offset, &length);
  if (status == ST_OK) status = io_copy(0, offset, response + 1, length);
  answer((uint8_t)status);
  if (status == ST_OK) response_length = 1u + length;
}

static void do_read_tensor(const tf_frame_t *request) {
  uint32_t offset, length;
  int status = read_range(request, &offset, &length);
  if (status == ST_OK && !arena_base()) status = ST_NOT_SUPPORTED;
  if (status == ST_OK && (offset > tf_harness_arena_bytes || length > tf_harness_arena_bytes - offset)) status = ST_OUT_OF_RANGE;
  if (status == ST_OK) tf_copy_bytes(response + 1, arena_base() + offset, length);
  answer((uint8_t)status);
  if (status == ST_OK) response_length = 1u + length;
}

static void do_read_layers(const tf_frame_t *request) {
#ifndef TF_PROFILE
  (void)request;
  answer(ST_NOT_SUPPORTED);
#else
  if (request->length != 3u) {
    answer(ST_BAD_LENGTH);
    return;
  }
  const uint32_t first = get_u16(request->payload);
  const uint32_t count = request->payload[2];
  if (count > (TF_FRAME_MAX_PAYLOAD - LAYER_HEADER_BYTES) / 8u) {
    answer(ST_BAD_LENGTH);
    return;
  }
  if (first > (uint32_t)tf_harness_num_layers || count > (uint32_t)tf_harness_num_layers - first) {
    answer(ST_OUT_OF_RANGE);
    return;
  }
  answer(ST_OK);
  put_u16(response + 1, (uint32_t)tf_harness_num_layers);
  put_u16(response + 3, last_runs);
  put_u16(response + 5, first);
  response[7] = (uint8_t)count;
  put_u16(response + 8, calibration.pairs);
  put_u32(response + 10, calibration.pair_ticks);
  put_u32(response + 14, calibration.empty_ticks);
  put_u32(response + 18, calibration.inside_ticks);
  for (uint32_t i = 0; i < count; i++) put_u64(response + LAYER_HEADER_BYTES + 8u * i, layer_ticks[first + i]);
  response_length = LAYER_HEADER_BYTES + 8u * count;
#endif
}

static void do_read_memory(void) {
  fold_stack_high_water();
  answer(ST_OK);
  put_u32(response + 1, (uint32_t)tf_harness_arena_bytes);
  put_u32(response + 5, arena_base() ? arena_high_water : UNKNOWN_BYTES);
  put_u32(response + 9, (uint32_t)stack_high_water);
  put_u32(response + 13, (uint32_t)stack_invoke);
  put_u32(response + 17, (uint32_t)tf_stack_capacity());
  response_length = 21;
}

static void dispatch(const tf_frame_t *request) {
  switch (request->command) {
  case CMD_HELLO:
    do_hello();
    return;
  case CMD_WRITE_INPUT:
    do_write_input(request);
    return;
  case CMD_INVOKE:
    do_invoke(request);
    return;
  case CMD_READ_OUTPUT:
    do_read_output(request);
    return;
  case CMD_READ_LAYERS:
    do_read_layers(request);
    return;
  case CMD_READ_MEMORY:
    do_read_memory();
    return;
  case CMD_RESET_STATE:
    tf_harness_model_reset();
    answer(ST_OK);
    return;
  case CMD_READ_TENSOR:
    do_read_tensor(request);
    return;
  case CMD_END:
    answer(ST_OK);
    return;
  case CMD_INVOKE_STEP:
    do_invoke_step(request);
    return;
  default:
    answer(ST_UNKNOWN_COMMAND);
    return;
  }
}

int main(void) {
  tf_platform_init();
  arena_paint();
  if (tf_harness_model_init() != 0) {
    static const char message[] = "TF ERROR tf_model_init failed\n";
    tf_platform_write(message, sizeof message - 1u);
    return 1;
  }
  calibrate_hooks();

  int have_last = 0;
  uint8_t last_command = 0, last_sequence = 0;
  for (;;) {
    receive_request();
    const int repeated = have_last && request.command != CMD_HELLO && request.command == last_command && request.sequence == last_sequence;
    if (!repeated) {
      dispatch(&request);
      /* a stepped inference abandoned for another request: serve that one (the frame now held) */
      while (step_abandoned) {
        step_abandoned = 0;
        dispatch(&request);
      }
      /* after a stepped inference `request` is the last step or the request that abandoned it */
      have_last = request.command != CMD_HELLO;
      last_command = request.command;
      last_sequence = request.sequence;
    }
    send_response();
    if (request.command == CMD_END) tf_platform_exit(0);
  }
}
