/** The driver for a device the server polls itself, by protocol. */
import type { DeviceDriver } from "../engine/driver";
import type { DeviceInput } from "../model/device";
import { NutDriver } from "../nut/driver";
import { SnmpDriver } from "../snmp/driver";

export type DriverFactory = (device: DeviceInput) => DeviceDriver;

export const createDriver: DriverFactory = (device) => {
  switch (device.kind) {
    case "nut":
      return new NutDriver(device.id, device.nut, { nominalPowerW: device.nominal_power_w });
    case "snmp":
      return new SnmpDriver(device.id, device.snmp, { nominalPowerW: device.nominal_power_w });
  }
};
