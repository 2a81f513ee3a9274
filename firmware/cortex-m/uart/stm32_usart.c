/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The STM32 USART / LPUART (STM32L4+, STM32H7A3, STM32U5: one register layout), polled, 8N1: CR1
 * +0x00 (UE bit 0, RE bit 2, TE bit 3), BRR +0x0C, ISR +0x1C (ORE bit 3, RXNE bit 5, TXE bit 7),
 * ICR +0x20 (ORECF bit 3), RDR +0x24, TDR +0x28, PRESC +0x2C. An overrun stops reception until ORE
 * is cleared, so a poll clears it (the bytes lost show as a bad frame CRC, which the host repeats).
 * The divisor comes from stm32_baud.h; PRESC is written only when the rate needs a prescaler (its
 * reset value, 0, divides by 1).
 *
 * Board facts: TF_UART_BASE, TF_UART_CLOCK_HZ (the UART's kernel clock as the chip's board_init
 * leaves it: its APB clock), TF_UART_LPUART (1 for an LPUART's 256x divisor). The pins and the
 * UART's bus clock are the chip's board_init's (chips/).
 */
#include "console.h"
#include "stm32_baud.h"

#ifndef TF_UART_BASE
#error "TF_UART_BASE must come from the board descriptor"
#endif
#ifndef TF_UART_CLOCK_HZ
#error "TF_UART_CLOCK_HZ must come from the board descriptor"
#endif
#ifndef TF_UART_LPUART
#define TF_UART_LPUART 0
#endif
/* the console's rate: --baud on run/profile/validate/flash builds the harness with another */
#ifndef TF_CONSOLE_BAUD
#define TF_CONSOLE_BAUD 115200u
#endif

#define UART_REG(offset) (*(volatile uint32_t *)(TF_UART_BASE + (offset)))
#define USART_CR1 UART_REG(0x00u)
#define USART_BRR UART_REG(0x0Cu)
#define USART_ISR UART_REG(0x1Cu)
#define USART_ICR UART_REG(0x20u)
#define USART_RDR UART_REG(0x24u)
#define USART_TDR UART_REG(0x28u)
#define USART_PRESC UART_REG(0x2Cu)

#define CR1_UE (1u << 0)
#define CR1_RE (1u << 2)
#define CR1_TE (1u << 3)
#define ISR_ORE (1u << 3)
#define ISR_RXNE (1u << 5)
#define ISR_TXE (1u << 7)
#define ICR_ORECF (1u << 3)

void console_init(void) {
  const stm32_baud_t divisor = stm32_baud(TF_UART_CLOCK_HZ, TF_CONSOLE_BAUD, TF_UART_LPUART);
  USART_CR1 = 0; /* BRR and PRESC are written with the UART disabled */
  if (divisor.presc != 0u) USART_PRESC = divisor.presc;
  /* a rate this clock cannot make leaves the reset divisor: the host sees no HELLO, never a hang here */
  if (divisor.brr != 0u) USART_BRR = divisor.brr;
  USART_CR1 = CR1_UE | CR1_RE | CR1_TE;
}

void console_write(const char *text, size_t length) {
  for (size_t i = 0; i < length; i++) {
    while ((USART_ISR & ISR_TXE) == 0u) {
    }
    USART_TDR = (uint8_t)text[i];
  }
}

int console_poll_byte(uint8_t *out) {
  const uint32_t status = USART_ISR;
  if (status & ISR_ORE) USART_ICR = ICR_ORECF;
  if ((status & ISR_RXNE) == 0u) return 0;
  *out = (uint8_t)USART_RDR;
  return 1;
}

uint8_t console_read_byte(void) {
  uint8_t byte;
  while (!console_poll_byte(&byte)) {
  }
  return byte;
}
