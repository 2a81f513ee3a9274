/* SPDX-License-Identifier: Apache-2.0 */
/*
 * RP2350 (Raspberry Pi Pico 2), Arm Secure mode, at 150 MHz (RP2350 datasheet):
 * - the boot ROM takes an image that carries an IMAGE_DEF block in its first 4 KiB (no boot2, no
 *   CRC): the datasheet's minimum Arm IMAGE_DEF, five words: PICOBIN_BLOCK_MARKER_START 0xffffded3;
 *   IMAGE_TYPE item 0x10210142 (executable, Arm, Secure, RP2350); LAST item 0x000001ff; a link of
 *   0 (the block loops to itself); PICOBIN_BLOCK_MARKER_END 0xab123579. With no entry point item,
 *   the ROM enters through the vector table at the start of flash. sections.ld places the block
 *   right after the vector table;
 * - clocks as on the RP2040 (../../rp2040/clocks.c with TF_RP2350, the RP2350's addresses in
 *   rp2040_regs.h): 12 MHz crystal, PLL_SYS 12 MHz x 125 / (5 x 2) = 150 MHz, clk_peri = clk_sys;
 * - console UART0 on GP0 (TX) and GP1 (RX): IO_BANK0, PADS_BANK0 and UART0 out of reset, the pins'
 *   FUNCSEL 2 (IO_BANK0 GPIOn_CTRL at +0x04 + 8n), their pads (PADS_BANK0 GPIOn at +0x04 + 4n) with
 *   the input enabled (IE bit 6), output not disabled (OD bit 7 clear) and the isolation the RP2350
 *   resets them to released (ISO bit 8) last;
 * - the image HELLO reports (TF_PLATFORM_IMAGE, platform.h's tf_platform_image): from the vector
 *   table at the start of flash (sections.ld's __image_start) to the end of .data's initial values,
 *   the last bytes the linker puts in flash: exactly what the UF2 of the build writes (its last page
 *   padded), so `flash --board pico2 --port` can check what the board runs against the UF2 copied.
 */
#include <stdint.h>

#include "board.h"
#include "platform.h"
#include "tf_image_crc.h"
#include "../../rp2040/clocks.h"
#include "../../rp2040/rp2040_regs.h"

#define PAD_GPIO(n) REG32(PADS_BANK0_BASE + 4u + 4u * (n))
#define PAD_IE (1u << 6)
#define PAD_OD (1u << 7)
#define PAD_ISO (1u << 8)

__attribute__((section(".image_def"), used)) static const uint32_t image_def[5] = {0xffffded3u, 0x10210142u, 0x000001ffu, 0x00000000u,
                                                                                   0xab123579u};

extern const uint8_t __image_start[];

int tf_platform_image(const uint8_t **start, uint32_t *bytes, uint32_t *crc) {
  return tf_image_through_data(__image_start, start, bytes, crc);
}

static void console_pin(uint32_t gpio) {
  GPIO_CTRL(gpio) = GPIO_FUNC_UART;
  PAD_GPIO(gpio) = (PAD_GPIO(gpio) & ~(PAD_OD | PAD_ISO)) | PAD_IE;
}

void board_init(void) {
  rp2040_clocks_init();
  const uint32_t bits = RESET_IO_BANK0 | RESET_PADS_BANK0 | RESET_UART0;
  RESETS_RESET_CLR = bits;
  while ((RESETS_RESET_DONE & bits) != bits) {
  }
  console_pin(0u);
  console_pin(1u);
}
