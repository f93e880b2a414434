"""Online booking: slots, holds, bookings and their changes, waiting lists, draws for scarce days,
case numbers. `online.OnlineBooking` is its front door."""
