/* SPDX-License-Identifier: Apache-2.0 */
/* ESP-IDF starts app_main in the main task: the harness runs there until the host ends it. */
int tf_harness_main(void);
void app_main(void);

void app_main(void) { (void)tf_harness_main(); }
